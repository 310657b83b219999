'use strict'
// `prepack` of the main package `segmentlog`: `npm pack` and `npm publish` refuse a tarball that
// would install no usable addon. The main package holds no binary; it must declare, as
// optionalDependencies at exactly its own version, the platform package of every target in
// `napi.targets` (npm installs the one that fits, index.js loads it), and each of those
// packages (npm/<platform>/) must be complete, with its addon, so that they are released
// together. The package.json in the repository declares none (npm could not install the
// development dependencies before the platform packages exist on the registry), so packing it
// there fails: `make dist-node` packs a staged copy, to which `napi pre-publish` has added them.
const fs = require('node:fs')
const path = require('node:path')

const root = process.cwd()
const read = (f) => JSON.parse(fs.readFileSync(path.join(root, f), 'utf8'))
const pkg = read('package.json')
const problems = []

// napi-rs's platformArchABI of a Rust target triple, e.g. x86_64-pc-windows-gnu -> win32-x64-gnu.
function platformOf(triple) {
  const parts = triple.split('-')
  const [cpu, , sys, abi] = parts.length === 2 ? [parts[0], '', parts[1]] : parts
  const arch = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }[cpu] ?? cpu
  const platform = { linux: 'linux', windows: 'win32', darwin: 'darwin', freebsd: 'freebsd' }[sys] ?? sys
  return abi ? `${platform}-${arch}-${abi}` : `${platform}-${arch}`
}

const platforms = (pkg.napi?.targets ?? []).map(platformOf)
if (platforms.length === 0) problems.push('package.json has no napi.targets')
const want = Object.fromEntries(platforms.map((p) => [`${pkg.name}-${p}`, pkg.version]))
const have = pkg.optionalDependencies ?? {}
if (Object.keys(have).length === 0) {
  problems.push(
    'package.json has no optionalDependencies on the platform packages ' +
      `(${Object.keys(want).join(', ')}), so this tarball would install no native addon. ` +
      'The release tarballs are made by `make dist-node` at the repository root, which adds them ' +
      '(napi pre-publish) to a staged copy and packs the platform packages with it.',
  )
} else if (JSON.stringify(Object.entries(have).sort()) !== JSON.stringify(Object.entries(want).sort())) {
  problems.push(`optionalDependencies must be exactly ${JSON.stringify(want)} (got ${JSON.stringify(have)})`)
}

for (const p of platforms) {
  const dir = path.join('npm', p)
  let sub
  try {
    sub = read(path.join(dir, 'package.json'))
  } catch (err) {
    problems.push(`${dir}/package.json: ${err.message}`)
    continue
  }
  if (sub.name !== `${pkg.name}-${p}` || sub.version !== pkg.version) {
    problems.push(`${dir} is ${sub.name}@${sub.version}, not ${pkg.name}-${p}@${pkg.version}`)
  }
  const addon = path.join(dir, String(sub.main))
  if (!(fs.statSync(path.join(root, addon), { throwIfNoEntry: false })?.size > 0)) {
    problems.push(`${addon} is missing: pack the platform packages with their addons together with this one`)
  }
}

for (const f of pkg.files ?? []) {
  if (f.includes('.node') || f === '*' || f.startsWith('npm')) problems.push(`"files" must not pack an addon or the platform packages (${f})`)
}
for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'iter.js', 'README.md', 'LICENSE-MIT', 'LICENSE-APACHE']) {
  if (!fs.existsSync(path.join(root, f))) problems.push(`${f} is missing`)
}

if (problems.length > 0) {
  console.error(`${pkg.name}: refusing to pack:\n  - ${problems.join('\n  - ')}`)
  process.exit(1)
}
