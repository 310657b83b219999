'use strict'
// The npm packaging (napi-rs's layout: the main package `segmentlog` holds no binary and lists
// one package per platform, npm/<platform>/, as optionalDependencies), without a registry:
// the pack guards refuse what would install nothing usable, the loader takes the addon from the
// platform package and says which package is missing when none fits, and the committed
// npm/<platform>/package.json files are what `napi create-npm-dirs` makes, with their
// deliberate differences. `make test-dist-node` installs the real tarballs from a registry.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const pkgDir = path.join(__dirname, '..')
const pkg = require('../package.json')
const licenses = ['LICENSE-MIT', 'LICENSE-APACHE']
// A file the main package packs: the license texts are the repository's (make dist-node copies
// them into the staged packages).
const source = (f) => (licenses.includes(f) ? path.join(pkgDir, '..', '..', f) : path.join(pkgDir, f))
const copyLicenses = (dir) => licenses.forEach((f) => fs.copyFileSync(source(f), path.join(dir, f)))
// The addon `npm run build` made for this machine, e.g. segmentlog.linux-x64-gnu.node.
const devAddon = fs.readdirSync(pkgDir).find((f) => /^segmentlog\..+\.node$/.test(f))
const platform = devAddon && devAddon.slice('segmentlog.'.length, -'.node'.length)
const platforms = ['linux-x64-gnu', 'linux-arm64-gnu', 'win32-x64-gnu']
const skip = !platforms.includes(platform) ? `no addon of a released platform in ${pkgDir}` : false

function tmpDir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'segmentlog-packaging-'))
  t.after(() => fs.rmSync(d, { recursive: true, force: true }))
  return d
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } })
  return { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` }
}

const packDryRun = (cwd) => run('npm', ['pack', '--dry-run', '--json'], cwd)

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)
}

// A node_modules as npm lays it out for the main package and (optionally) one platform package.
function installTree(t, { optionalDependencies, platformVersion, withPlatform = true }) {
  const app = tmpDir(t)
  const main = path.join(app, 'node_modules', 'segmentlog')
  fs.mkdirSync(main, { recursive: true })
  for (const f of pkg.files) fs.copyFileSync(source(f), path.join(main, f))
  writeJson(path.join(main, 'package.json'), { ...pkg, optionalDependencies })
  if (withPlatform) {
    const sub = path.join(app, 'node_modules', `segmentlog-${platform}`)
    const subPkg = require(`../npm/${platform}/package.json`)
    writeJson(path.join(sub, 'package.json'), { ...subPkg, version: platformVersion ?? subPkg.version })
    fs.copyFileSync(path.join(pkgDir, devAddon), path.join(sub, devAddon))
  }
  return app
}

const released = Object.fromEntries(platforms.map((p) => [`segmentlog-${p}`, pkg.version]))

// Loads segmentlog in a child process from `app`: the path the addon came from, or the error.
function load(app, how = 'require') {
  const script =
    how === 'require'
      ? `try { const { Log } = require('segmentlog'); console.log(JSON.stringify({ ok: typeof Log.open, addon: Object.keys(require.cache).find((f) => f.endsWith('.node')) })) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`
      : `import('segmentlog').then((m) => console.log(JSON.stringify({ ok: typeof m.Log.open, same: m.default.Log === m.Log })), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`
  const r = spawnSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

test('the repository package.json cannot be packed: it lists no platform packages', () => {
  const r = packDryRun(pkgDir)
  assert.notEqual(r.status, 0, r.out)
  assert.match(r.out, /segmentlog: refusing to pack:/)
  assert.match(r.out, /no optionalDependencies on the platform packages \(segmentlog-linux-x64-gnu, segmentlog-linux-arm64-gnu, segmentlog-win32-x64-gnu\)/)
})

test('a platform package packs only with its own addon', { skip }, (t) => {
  const d = tmpDir(t)
  fs.cpSync(path.join(pkgDir, 'npm'), path.join(d, 'npm'), { recursive: true })
  const dir = path.join(d, 'npm', platform)
  const addon = `segmentlog.${platform}.node`

  let r = packDryRun(dir)
  assert.notEqual(r.status, 0, r.out)
  assert.match(r.out, new RegExp(`segmentlog-${platform}: refusing to pack: ${addon.replace(/\./g, '\\.')} is missing`))

  // An ELF shared object for arm64 in the x64 package (or an x64 one in the others).
  const elf = Buffer.alloc(64)
  elf.writeUInt32BE(0x7f454c46, 0)
  elf.writeUInt16LE(3, 16)
  elf.writeUInt16LE(platform === 'linux-x64-gnu' ? 183 : 62, 18)
  fs.writeFileSync(path.join(dir, addon), elf)
  r = packDryRun(dir)
  assert.notEqual(r.status, 0, r.out)
  assert.match(r.out, /refusing to pack: .* is (ELF shared object|PE DLL) for (arm64|x64); .* needs:/)

  fs.copyFileSync(path.join(pkgDir, devAddon), path.join(dir, addon))
  r = packDryRun(dir)
  assert.notEqual(r.status, 0, r.out)
  assert.match(r.out, /refusing to pack: LICENSE-MIT is missing/)

  copyLicenses(dir)
  r = packDryRun(dir)
  assert.equal(r.status, 0, r.out)
  const packed = JSON.parse(r.stdout)[0]
  assert.deepEqual(packed.files.map((f) => f.path).sort(), ['README.md', addon, 'package.json', ...licenses].sort())
})

test('the main package packs only with its platform packages, complete, at its version', { skip }, (t) => {
  const d = tmpDir(t)
  for (const f of [...pkg.files, 'package.json', 'scripts/prepack.js']) fs.cpSync(source(f), path.join(d, f))
  fs.cpSync(path.join(pkgDir, 'npm'), path.join(d, 'npm'), { recursive: true })
  writeJson(path.join(d, 'package.json'), { ...pkg, optionalDependencies: { ...released, 'segmentlog-linux-x64-gnu': '0.0.1' } })
  let r = packDryRun(d)
  assert.notEqual(r.status, 0, r.out)
  assert.match(r.out, /optionalDependencies must be exactly/)

  writeJson(path.join(d, 'package.json'), { ...pkg, optionalDependencies: released })
  r = packDryRun(d)
  assert.notEqual(r.status, 0, r.out)
  assert.match(r.out, /npm\/linux-arm64-gnu\/segmentlog\.linux-arm64-gnu\.node is missing/)

  // The guard of the main package checks only that each addon is there (each platform
  // package's own guard checks what it is).
  for (const p of platforms) fs.copyFileSync(path.join(pkgDir, devAddon), path.join(d, 'npm', p, `segmentlog.${p}.node`))
  fs.copyFileSync(path.join(pkgDir, devAddon), path.join(d, devAddon)) // napi artifacts puts them there too
  r = packDryRun(d)
  assert.equal(r.status, 0, r.out)
  const files = JSON.parse(r.stdout)[0].files.map((f) => f.path).sort()
  assert.deepEqual(files, [...pkg.files, 'package.json'].sort(), 'the main package holds no addon')
})

test('the loader takes the addon from the platform package, through require and import', { skip }, (t) => {
  const app = installTree(t, { optionalDependencies: released })
  const viaRequire = load(app)
  assert.equal(viaRequire.ok, 'function', JSON.stringify(viaRequire))
  assert.equal(viaRequire.addon, fs.realpathSync(path.join(app, 'node_modules', `segmentlog-${platform}`, devAddon)))
  assert.deepEqual(load(app, 'import'), { ok: 'function', same: true })
})

test('the loader names the platform package that is missing', { skip }, (t) => {
  const r = load(installTree(t, { optionalDependencies: released, withPlatform: false }))
  assert.equal(r.code, 'ERR_SEGMENTLOG_NO_ADDON')
  assert.match(r.message, new RegExp(`is the package segmentlog-${platform}@${pkg.version}, which is not installed`))
  assert.match(r.message, new RegExp(`npm install segmentlog-${platform}@${pkg.version}`))
  assert.equal(load(installTree(t, { optionalDependencies: released, withPlatform: false }), 'import').code, 'ERR_SEGMENTLOG_NO_ADDON')
})

test('the loader says when the platform has no prebuilt addon', { skip }, (t) => {
  const others = Object.fromEntries(Object.entries(released).filter(([p]) => p !== `segmentlog-${platform}`))
  const r = load(installTree(t, { optionalDependencies: others, withPlatform: false }))
  assert.equal(r.code, 'ERR_SEGMENTLOG_NO_ADDON')
  assert.match(r.message, /no prebuilt native addon for .*: it would be the package segmentlog-/)
  assert.match(r.message, new RegExp(`segmentlog-${platform}.*which is not published \\(prebuilt: ${platforms.filter((p) => p !== platform).join(', ')}\\)`))
})

test('the loader refuses a platform package of another version', { skip }, (t) => {
  const r = load(installTree(t, { optionalDependencies: released, platformVersion: '0.0.1' }))
  assert.equal(r.code, 'ERR_SEGMENTLOG_NO_ADDON')
  assert.match(r.message, new RegExp(`segmentlog-${platform} is version 0\\.0\\.1, but segmentlog is ${pkg.version}`))
})

test('an addon built beside index.js (a checkout) wins over an installed platform package', { skip }, (t) => {
  // The platform package would be refused (another version): the local addon is taken first.
  const app = installTree(t, { optionalDependencies: released, platformVersion: '0.0.1' })
  fs.copyFileSync(path.join(pkgDir, devAddon), path.join(app, 'node_modules', 'segmentlog', devAddon))
  const r = load(app)
  assert.equal(r.ok, 'function', JSON.stringify(r))
  assert.equal(r.addon, fs.realpathSync(path.join(app, 'node_modules', 'segmentlog', devAddon)))
})

test('in a checkout without a built addon the loader says how to build it', (t) => {
  const app = installTree(t, { optionalDependencies: undefined, withPlatform: false })
  const r = load(app)
  assert.equal(r.code, 'ERR_SEGMENTLOG_NO_ADDON')
  assert.match(r.message, /no native addon for .*: neither segmentlog\..*\.node in .* nor the package segmentlog-.*`npm run build`/)
})

test('npm/<platform>/package.json is what napi create-npm-dirs makes, plus the pack guard and licenses', (t) => {
  const d = tmpDir(t)
  fs.copyFileSync(path.join(pkgDir, 'package.json'), path.join(d, 'package.json'))
  const napi = path.join(pkgDir, 'node_modules', '.bin', 'napi')
  const r = run(napi, ['create-npm-dirs', '--cwd', d], pkgDir)
  assert.equal(r.status, 0, r.out)
  assert.deepEqual(fs.readdirSync(path.join(pkgDir, 'npm')).filter((f) => f !== 'pack-guard.js').sort(), [...platforms].sort())
  for (const p of platforms) {
    const made = JSON.parse(fs.readFileSync(path.join(d, 'npm', p, 'package.json'), 'utf8'))
    const ours = require(`../npm/${p}/package.json`)
    assert.deepEqual(ours.scripts, { prepack: 'node ../pack-guard.js' }, p)
    assert.match(ours.description, /^The native addon of segmentlog for /, p)
    // napi gives every `gnu` target libc ["glibc"], Windows too, where npm then refuses the
    // package (it knows a libc on Linux only): the Windows package declares none.
    // And each packs the license texts.
    const expected = { ...made, description: ours.description, scripts: ours.scripts, files: [...made.files, ...licenses] }
    if (p.startsWith('win32')) delete expected.libc
    assert.deepEqual(ours, expected, p)
  }
})
