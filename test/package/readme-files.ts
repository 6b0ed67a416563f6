// The README's "Use it" section holds a complete program: each TypeScript block begins with a
// comment naming its file (`// pricing.ts — …`). The tests write the blocks to those files as
// they are and run them, so the README cannot drift from the API.

/** File name → text, for every ```ts block of the "## Use it" section. */
export function readmeFiles(readme: string): Map<string, string> {
  const start = readme.indexOf('\n## Use it')
  if (start === -1) throw new Error('README.md has no "## Use it" section')
  const next = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, next === -1 ? undefined : next)
  const files = new Map<string, string>()
  for (const match of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const text = match[1] ?? ''
    const name = /^\/\/ ([\w.-]+\.ts)\b/.exec(text)?.[1]
    if (name === undefined) throw new Error(`A README code block does not start with a comment naming its file: ${text.slice(0, 80)}`)
    if (files.has(name)) throw new Error(`Two README code blocks are named ${name}`)
    files.set(name, text)
  }
  return files
}
