import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { KafkaIpcError } from '../core/kafka-ipc-error.ts'
import { lastLines, runCommand } from './run-command.ts'
import type { JavaRuntime } from './toolchain.ts'
import { flagSafeToken } from './flag-safe-token.ts'

/** A certificate authority made by {@link createCertificateAuthority}. */
export interface CertificateAuthority {
  /** The CA certificate, PEM: what clients trust. */
  readonly certFile: string
  /** PKCS#12 store holding the CA's key, to sign broker certificates with. */
  readonly keystoreFile: string
  readonly storePassword: string
}

/** A broker's TLS identity made by {@link createBrokerCertificate}. */
export interface BrokerCertificate {
  /** PKCS#12 keystore: the broker's key and its certificate chain (broker, CA). */
  readonly keystoreFile: string
  readonly storePassword: string
}

/** JVM flags that make each short keytool run start faster: no optimizing compiler, a small GC. */
const quickJvm = ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC']

/**
 * Makes a certificate authority in `dir` with the JDK's keytool — a key pair and a self-signed CA
 * certificate (10 years, EC P-256) — and writes its certificate as PEM. keytool comes with every
 * JDK and JRE, so nothing beyond the Java that runs the broker is needed.
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority('/tmp/tls', await findJava(), 'test CA')
 * readFileSync(ca.certFile, 'utf8') // '-----BEGIN CERTIFICATE-----…'
 * ```
 */
export async function createCertificateAuthority(dir: string, java: JavaRuntime, name = 'kafka-ipc local CA'): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true })
  const storePassword = flagSafeToken(18)
  const keystoreFile = join(dir, 'ca.p12')
  const certFile = join(dir, 'ca.pem')
  await keytool(java, ['-genkeypair', '-keystore', keystoreFile, '-storetype', 'PKCS12', '-storepass', storePassword, '-alias', 'ca', '-dname', `CN=${name}`, '-keyalg', 'EC', '-groupname', 'secp256r1', '-validity', '3650', '-ext', 'bc:c'])
  await keytool(java, ['-exportcert', '-keystore', keystoreFile, '-storepass', storePassword, '-alias', 'ca', '-rfc', '-file', certFile])
  return { certFile, keystoreFile, storePassword }
}

/**
 * Makes a broker keystore in `dir` whose certificate, signed by `ca`, names `hosts` (IP addresses
 * or DNS names) — what a client checks against the address it dialled.
 *
 * @example
 * ```ts
 * const broker = await createBrokerCertificate('/tmp/tls', java, ca, ['127.0.0.1', 'localhost'])
 * // ssl.keystore.type=PKCS12, ssl.keystore.location=broker.keystoreFile, ssl.keystore.password=broker.storePassword
 * ```
 */
export async function createBrokerCertificate(dir: string, java: JavaRuntime, ca: CertificateAuthority, hosts: readonly string[]): Promise<BrokerCertificate> {
  await mkdir(dir, { recursive: true })
  const storePassword = flagSafeToken(18)
  const keystoreFile = join(dir, 'broker.p12')
  const request = join(dir, 'broker.csr')
  const signed = join(dir, 'broker-chain.pem')
  const names = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `ip:${host}` : `dns:${host}`)).join(',')
  await keytool(java, ['-genkeypair', '-keystore', keystoreFile, '-storetype', 'PKCS12', '-storepass', storePassword, '-alias', 'broker', '-dname', `CN=${hosts[0] ?? 'localhost'}`, '-keyalg', 'EC', '-groupname', 'secp256r1', '-validity', '3650'])
  await keytool(java, ['-certreq', '-keystore', keystoreFile, '-storepass', storePassword, '-alias', 'broker', '-file', request])
  await keytool(java, ['-gencert', '-keystore', ca.keystoreFile, '-storepass', ca.storePassword, '-alias', 'ca', '-infile', request, '-outfile', signed, '-rfc', '-validity', '3650', '-ext', `san=${names}`, '-ext', 'eku=serverAuth,clientAuth'])
  // The reply as a whole chain ending in the CA: keytool installs it without asking whether to trust the CA.
  await writeFile(signed, (await readFile(signed, 'utf8')) + (await readFile(ca.certFile, 'utf8')))
  await keytool(java, ['-importcert', '-keystore', keystoreFile, '-storepass', storePassword, '-alias', 'broker', '-file', signed, '-noprompt'])
  await Promise.all([rm(request, { force: true }), rm(signed, { force: true })])
  return { keystoreFile, storePassword }
}

/** keytool beside the java that runs the broker (JAVA_HOME's, or the one on PATH). */
function keytoolOf(java: JavaRuntime): string {
  return basename(java.executable) === java.executable ? 'keytool' : join(dirname(java.executable), 'keytool')
}

async function keytool(java: JavaRuntime, args: readonly string[]): Promise<void> {
  const executable = keytoolOf(java)
  const result = await runCommand(executable, [...quickJvm, ...args])
  if (result.exitCode !== 0) {
    // The store password is on the command line, never in keytool's output.
    throw new KafkaIpcError('KIPC_LOCAL_KAFKA_START_FAILED', `Making the TLS certificates with ${executable} ${args[0] ?? ''} failed:\n${lastLines(result.output, 10)}`, {
      details: { executable },
    })
  }
}
