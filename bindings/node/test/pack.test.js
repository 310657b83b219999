'use strict'
// The npm tarball installs in a clean directory with no Rust toolchain on PATH and works through
// both `require('segmentlog')` and `import { Log } from 'segmentlog'`.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const pkgDir = path.join(__dirname, '..')
const { version } = require('../package.json')

test('npm pack + npm install of the tarball, then require and import', { timeout: 180_000 }, (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'segmentlog-pack-'))
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }))

  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: pkgDir, encoding: 'utf8' }),
  )[0]
  const files = packed.files.map((f) => f.path).sort()
  assert.ok(files.includes('segmentlog.linux-x64-gnu.node'), files.join(', '))
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'iter.js', 'package.json']) {
    assert.ok(files.includes(f), `${f} in ${files.join(', ')}`)
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), files.join(', '))
  const tarball = path.join(tmp, `segmentlog-${version}.tgz`)
  assert.ok(fs.existsSync(tarball))

  // A PATH with node and npm but without cargo/rustc.
  const app = path.join(tmp, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))
  const bin = path.join(tmp, 'bin')
  fs.mkdirSync(bin)
  fs.symlinkSync(process.execPath, path.join(bin, 'node'))
  const npmPath = fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())
  fs.symlinkSync(npmPath, path.join(bin, 'npm'))
  const PATH = [bin, ...process.env.PATH.split(':').filter((d) => !['cargo', 'rustc'].some((x) => fs.existsSync(path.join(d, x))))].join(':')
  const env = { ...process.env, PATH, npm_config_update_notifier: 'false' }
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: app, env, stdio: 'pipe' })
  assert.throws(() => execFileSync('cargo', ['--version'], { env, stdio: 'pipe' }), 'cargo must not be on PATH')

  const logDir = path.join(tmp, 'log')
  const cjs = execFileSync(
    process.execPath,
    ['-e', `const { Log } = require('segmentlog'); const l = Log.open(${JSON.stringify(logDir)}); l.append(Buffer.from('cjs')); console.log(l.read(0).toString()); l.close()`],
    { cwd: app, env, encoding: 'utf8' },
  )
  assert.equal(cjs.trim(), 'cjs')
  const esm = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `import { Log } from 'segmentlog'; import cl from 'segmentlog'; const l = Log.open(${JSON.stringify(logDir)}); console.log(l.read(0).toString(), l.append(Buffer.from('esm')), cl.Log === Log); l.close()`],
    { cwd: app, env, encoding: 'utf8' },
  )
  assert.equal(esm.trim(), 'cjs 1 true')
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'segmentlog', 'index.d.ts')))
})
