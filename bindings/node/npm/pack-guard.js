'use strict'
// `prepack` of every platform package (npm/<platform>/package.json): `npm pack` and
// `npm publish` refuse a package whose addon is missing, or is not a Node addon for the
// package's `os` and `cpu` (a library of another platform copied in by mistake), or which
// lacks the license texts. Without it
// npm would pack a tarball of a README and a package.json, which installs nothing usable.
// It runs in the package directory; it is not packed itself (`files` does not name it).
const fs = require('node:fs')
const path = require('node:path')

const dir = process.cwd()
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
const fail = (why) => {
  console.error(`${pkg.name}: refusing to pack: ${why}`)
  process.exit(1)
}

const addon = pkg.main
if (typeof addon !== 'string' || !addon.endsWith('.node')) fail(`"main" must name the .node addon (got ${addon})`)
const licenses = ['LICENSE-MIT', 'LICENSE-APACHE']
if (JSON.stringify(pkg.files) !== JSON.stringify([addon, ...licenses])) {
  fail(`"files" must be exactly ${JSON.stringify([addon, ...licenses])}`)
}
const [os] = pkg.os ?? []
const [cpu] = pkg.cpu ?? []

let bytes
try {
  bytes = fs.readFileSync(path.join(dir, addon))
} catch (err) {
  if (err.code !== 'ENOENT') throw err
  fail(
    `${addon} is missing, so the package would install no addon. Build it for ${os}-${cpu} ` +
      'and copy it here first: `make dist-node` at the repository root does both and packs ' +
      'every package into dist/npm/.',
  )
}

// What the file is: [format, machine] from its header.
function kind(b) {
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const machines = { 62: 'x64', 183: 'arm64', 3: 'ia32', 40: 'arm' }
    const type = b.readUInt16LE(16) // ET_DYN (3): a shared object
    return [type === 3 ? 'ELF shared object' : `ELF file of type ${type}`, machines[b.readUInt16LE(18)] ?? `machine ${b.readUInt16LE(18)}`]
  }
  if (b.length >= 64 && b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c)
    if (pe + 24 <= b.length && b.readUInt32BE(pe) === 0x50450000) {
      const machines = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' }
      const isDll = (b.readUInt16LE(pe + 22) & 0x2000) !== 0
      return [isDll ? 'PE DLL' : 'PE executable', machines[b.readUInt16LE(pe + 4)] ?? `machine 0x${b.readUInt16LE(pe + 4).toString(16)}`]
    }
  }
  if (b.length >= 8 && b.readUInt32LE(0) === 0xfeedfacf) {
    const machines = { 0x01000007: 'x64', 0x0100000c: 'arm64' }
    return ['Mach-O', machines[b.readUInt32LE(4)] ?? `cpu 0x${b.readUInt32LE(4).toString(16)}`]
  }
  return ['not a binary', null]
}

const want = { linux: 'ELF shared object', win32: 'PE DLL', darwin: 'Mach-O' }[os]
if (!want) fail(`no check for os ${JSON.stringify(pkg.os)}`)
const [format, machine] = kind(bytes)
if (format !== want || machine !== cpu) {
  fail(`${addon} (${bytes.length} bytes) is ${format}${machine ? ` for ${machine}` : ''}; ${os}-${cpu} needs: ${want} for ${cpu}`)
}
for (const f of licenses) {
  if (!fs.existsSync(path.join(dir, f))) fail(`${f} is missing (make dist-node copies the license texts of the repository in)`)
}
console.error(`${pkg.name}: ${addon} is a ${format} for ${machine}, ${bytes.length} bytes`)
