// Imported first by each library entry point, so it runs before any other module of the package
// and an unsupported Node.js fails with one clear line instead of a stack trace from deep inside.
import { unsupportedNode } from './supported-node.ts'

const problem = unsupportedNode()
if (problem !== undefined) {
  const error = new Error(problem)
  error.stack = problem
  throw error
}
