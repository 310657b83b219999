'use strict'
// Loads the native addon built by `napi build --platform` and adds `Log.prototype.iter`, the
// async iterator over records (see iter.js). Everything else is native (src/*.rs); `append`,
// `appendBatch`, `read` and `readMany` go through the addon's `fast` functions (src/fast.rs),
// which find the log without `napi_unwrap`.

const fs = require('node:fs')
const path = require('node:path')
const { LogIterator, AutoCommitIterator } = require('./iter.js')

// The addon comes from one small package per platform, `segmentlog-<platform>` (napi-rs's
// convention): the release tarball of this package declares them all as optionalDependencies
// at its own version, and npm installs the one whose os/cpu/libc fit. A checkout has the
// addon built by `npm run build` beside this file instead (segmentlog.<platform>.node), which
// is tried first: a release package never holds one (scripts/prepack.js), and in a checkout
// the freshly built addon must win over a platform package npm may have fetched.
const { name: PKG, version: VERSION, optionalDependencies: PREBUILT = {} } = require('./package.json')

// musl or glibc, found the way napi-rs's generated loaders do: /usr/bin/ldd names musl, else
// the process report has a glibc version, else `ldd --version` says musl.
function isMusl() {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {}
  if (typeof process.report?.getReport === 'function') {
    const excludeNetwork = process.report.excludeNetwork
    process.report.excludeNetwork = true // no network lookups, which can be slow
    let report
    try {
      report = process.report.getReport()
    } finally {
      process.report.excludeNetwork = excludeNetwork
    }
    if (report?.header?.glibcVersionRuntime) return false
    if (Array.isArray(report?.sharedObjects)) {
      return report.sharedObjects.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))
    }
  }
  try {
    return require('node:child_process').execSync('ldd --version', { encoding: 'utf8', stdio: 'pipe' }).includes('musl')
  } catch {
    return false
  }
}

// The `<platform>` names (napi-rs's platformArchABI) an addon for this process may have, best
// first, and a description of the platform for messages.
function candidates() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const musl = isMusl()
    const abi = arch === 'arm' ? (musl ? 'musleabihf' : 'gnueabihf') : musl ? 'musl' : 'gnu'
    return { names: [`linux-${arch}-${abi}`], what: `Linux ${arch} with ${musl ? 'musl' : 'glibc'}` }
  }
  if (platform === 'win32') {
    // msvc (Node's own toolchain) or gnu (mingw, what we build): either loads into node.exe,
    // since the addon takes Node-API from the running process.
    return { names: [`win32-${arch}-msvc`, `win32-${arch}-gnu`], what: `Windows ${arch}` }
  }
  if (platform === 'darwin') return { names: [`darwin-${arch}`, 'darwin-universal'], what: `macOS ${arch}` }
  return { names: [`${platform}-${arch}`], what: `${platform} ${arch}` }
}

function noAddon(message, cause) {
  const e = new Error(message, cause ? { cause } : undefined)
  e.code = 'ERR_SEGMENTLOG_NO_ADDON'
  return e
}

function isNotFound(err, request) {
  return err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${request}'`)
}

function loadNative() {
  const { names, what } = candidates()
  for (const n of names) {
    const local = path.join(__dirname, `${PKG}.${n}.node`)
    if (fs.existsSync(local)) return require(local)
  }
  for (const n of names) {
    const pkg = `${PKG}-${n}`
    let binding
    try {
      binding = require(pkg)
    } catch (err) {
      if (isNotFound(err, pkg)) continue
      // The package is there but its addon does not load (a libc too old, a damaged file).
      throw noAddon(`${PKG}: the native addon of ${pkg} failed to load on ${what}: ${err.message}`, err)
    }
    const { version } = require(`${pkg}/package.json`)
    if (version !== VERSION) {
      throw noAddon(
        `${PKG}: ${pkg} is version ${version}, but ${PKG} is ${VERSION}; they must be the same ` +
          `version: reinstall with \`npm install ${PKG}@${VERSION}\``,
      )
    }
    return binding
  }
  const wanted = names.map((n) => `${PKG}-${n}`)
  const shipped = names.filter((n) => Object.hasOwn(PREBUILT, `${PKG}-${n}`))
  const prebuilt = Object.keys(PREBUILT).map((p) => p.slice(PKG.length + 1))
  if (shipped.length > 0) {
    const p = `${PKG}-${shipped[0]}`
    throw noAddon(
      `${PKG}: the native addon for ${what} is the package ${p}@${VERSION}, which is not ` +
        `installed. npm installs it with ${PKG} unless optional dependencies are left out ` +
        `(--omit=optional, --no-optional) or the lockfile was made on another platform: run ` +
        `\`npm install ${p}@${VERSION}\` (or reinstall ${PKG} without those options).`,
    )
  }
  if (prebuilt.length > 0) {
    throw noAddon(
      `${PKG}: no prebuilt native addon for ${what}: it would be the package ${wanted.join(' or ')}, ` +
        `which is not published (prebuilt: ${prebuilt.join(', ')}). Build it from the source ` +
        'repository with a Rust toolchain (`npm ci && npm run build` in bindings/node).',
    )
  }
  throw noAddon(
    `${PKG}: no native addon for ${what}: neither ${names.map((n) => `${PKG}.${n}.node`).join(' nor ')} ` +
      `in ${__dirname} nor the package ${wanted.join(' or ')}; in a checkout build it with ` +
      '`npm run build` (needs a Rust toolchain)',
  )
}

const native = loadNative()
const { Log, Cursor, NamedCursor, fast } = native

// The hot methods reach the log through a handle (an External holding the core log) kept on the
// instance under this symbol: napi resolves it with one type check, where a method's `this`
// costs a private-property lookup in V8 on every call (src/fast.rs).
const kHandle = Symbol('segmentlog.handle')
const {
  handle: nativeHandle,
  append: fastAppend,
  appendBatch: fastAppendBatch,
  appendPacked: fastAppendPacked,
  readInto: fastReadInto,
  readManyInto: fastReadManyInto,
} = fast
const nativeReadMany = Log.prototype.readMany

function notALog(log, cause) {
  const what = log === null ? 'null' : typeof log === 'object' ? 'an object that is not a Log' : typeof log
  const e = new TypeError(`a Log method was called on ${what}`, cause ? { cause } : undefined)
  e.code = 'ERR_INVALID_ARG_TYPE'
  return e
}

function newHandle(log) {
  if (!(log instanceof Log)) throw notALog(log)
  let h
  try {
    h = nativeHandle(log)
  } catch (err) {
    throw notALog(log, err) // Log.prototype in its chain, but no native Log behind it
  }
  Object.defineProperty(log, kHandle, { value: h })
  return h
}

function handleOf(log) {
  const h = log == null ? undefined : log[kHandle]
  return h === undefined ? newHandle(log) : h
}

Log.prototype.append = function append(value) {
  return fastAppend(handleOf(this), value)
}

// `appendBatch` copies the values into one packed buffer and passes their lengths beside it:
// for small values that costs less than the two napi calls per element the native method makes
// (look up the element, then its bytes). Anything unusual (not an array, an element that is not
// a Uint8Array, a batch over 64 MiB, a call made while packing, e.g. from an element getter) goes
// to the native method, which words the errors.
const typedArrayByteLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength').get
const PACK_KEEP_BYTES = 1024 * 1024 // the packing buffer kept between calls
const PACK_MAX_BYTES = 64 * 1024 * 1024 // larger batches are not copied once more
let packData = Buffer.allocUnsafeSlow(PACK_KEEP_BYTES)
let packLengths = new Uint32Array(4096)
let packing = false

Log.prototype.appendBatch = function appendBatch(values) {
  const h = handleOf(this)
  if (packing || !Array.isArray(values)) return fastAppendBatch(h, values)
  packing = true
  try {
    const count = values.length
    let total = 0
    for (let i = 0; i < count; i++) {
      const v = values[i]
      if (!(v instanceof Uint8Array && ArrayBuffer.isView(v))) return fastAppendBatch(h, values)
      total += typedArrayByteLength.call(v)
    }
    if (total > PACK_MAX_BYTES || values.length !== count) return fastAppendBatch(h, values)
    const data = total <= PACK_KEEP_BYTES ? packData : Buffer.allocUnsafeSlow(total)
    const lengths = count <= packLengths.length ? packLengths : new Uint32Array(count)
    let at = 0
    for (let i = 0; i < count; i++) {
      const v = values[i] // read again: a getter may have changed it since the first pass
      if (!(v instanceof Uint8Array && ArrayBuffer.isView(v))) return fastAppendBatch(h, values)
      const n = typedArrayByteLength.call(v)
      if (at + n > data.length) return fastAppendBatch(h, values)
      if (n > 0) data.set(v, at)
      lengths[i] = n
      at += n
    }
    return fastAppendPacked(h, data, lengths, count)
  } finally {
    packing = false
  }
}

/**
 * Reads the log in offset order from `options.from` (default: the lowest offset). With
 * `options.live` the iterator waits for records appended later instead of ending, until
 * `break`, `return()` or `close()`. A hole (a damaged record) rejects one `next()` with
 * `ERR_SEGMENTLOG_HOLE` and the next call goes on after it; `options.skipHoles` passes over
 * holes silently.
 */
Log.prototype.iter = function iter(options) {
  const { from, live, skipHoles } = iterOptions(options)
  return new LogIterator(this.cursor(from, skipHoles), live)
}

/** The options of `iter()` (`from` is checked by the native side), checked and defaulted. */
function iterOptions(options) {
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    const e = new TypeError(`options must be an object (got ${typeof options})`)
    e.code = 'ERR_INVALID_ARG_TYPE'
    throw e
  }
  const { from, live = false, skipHoles = false } = options
  for (const [name, value] of [['live', live], ['skipHoles', skipHoles]]) {
    if (typeof value !== 'boolean') {
      const e = new TypeError(`options.${name} must be a boolean (got ${typeof value})`)
      e.code = 'ERR_INVALID_ARG_TYPE'
      throw e
    }
  }
  return { from, live, skipHoles }
}

/**
 * Reads the log from where the named cursor resumes (its committed position, or the lowest
 * offset if retention dropped records it had not reached), with the options of `log.iter()`
 * but `from`. Reading commits nothing: call `commit(record.offset + 1)` after processing.
 */
NamedCursor.prototype.iter = function iter(options) {
  const { live, skipHoles } = iterOptions(options)
  return new LogIterator(this.reader(skipHoles), live)
}

/**
 * Reads from where the named cursor resumes (options as `iter()`) and commits as it goes:
 * asking for the next record counts the one before as processed, and every `every` processed
 * records (at least 1) their position is committed, off the main thread, before the next
 * record is handed out. At least once: after a crash up to `every` records come again.
 * `break` commits nothing more: call `await records.commit()` when done.
 */
NamedCursor.prototype.autoCommit = function autoCommit(every, options) {
  const { live, skipHoles } = iterOptions(options)
  const tally = this.commitTally(every)
  return new AutoCommitIterator(this, tally, new LogIterator(this.reader(skipHoles), live))
}

/** `for await (const record of namedCursor)`: tails from where it resumes (`iter({ live: true })`). */
NamedCursor.prototype[Symbol.asyncIterator] = function asyncIterator() {
  return this.iter({ live: true })
}

// `read` fills pooled memory (as `Buffer.allocUnsafe` does for small buffers): allocating one
// Buffer per read costs more than the read itself. A value is a view of a 64 KiB slab (the
// slab lives while any of its values does); values over 8 KiB get a Buffer of their own.
const SLAB_BYTES = 64 * 1024
const OWN_BUFFER_BYTES = 8 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let slabUsed = 0

Log.prototype.read = function read(offset) {
  const h = handleOf(this)
  let n = fastReadInto(h, offset, slab, slabUsed)
  if (n < 0) {
    const len = -n - 1
    if (len > OWN_BUFFER_BYTES) {
      const own = Buffer.allocUnsafeSlow(len)
      n = fastReadInto(h, offset, own, 0)
      if (n < 0) return this.readRecord(offset).value // it changed between the two reads
      return own.subarray(0, n)
    }
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    slabUsed = 0
    n = fastReadInto(h, offset, slab, 0)
    if (n < 0) return this.readRecord(offset).value
  }
  const value = slab.subarray(slabUsed, slabUsed + n)
  slabUsed = (slabUsed + n + 7) & ~7 // keep views 8-byte aligned, like Node's pool
  return value
}

// `readMany` copies the offsets into a Float64Array and gets the values back to back in one
// Buffer (each value a view of it) with their lengths beside: one native call and no napi call
// per value. Anything unusual (not an array, an element that is not a number, a call made while
// copying, e.g. from an element getter) goes to the native method, which words the errors.
const MANY_KEEP = 64 * 1024 // offsets whose arrays are kept for the next call
let manyOffsets = new Float64Array(1024)
let manyLengths = new Uint32Array(1024)
let manyGuess = 128 // bytes per value the next call reserves, from the last call
let readingMany = false

Log.prototype.readMany = function readMany(offsets) {
  const h = handleOf(this)
  if (readingMany || !Array.isArray(offsets)) return nativeReadMany.call(this, offsets)
  readingMany = true
  try {
    const count = offsets.length
    if (count > manyOffsets.length && count <= MANY_KEEP) {
      manyOffsets = new Float64Array(count)
      manyLengths = new Uint32Array(count)
    }
    // Arrays for larger calls are not kept between calls.
    const offs = count <= manyOffsets.length ? manyOffsets : new Float64Array(count)
    const lengths = count <= manyLengths.length ? manyLengths : new Uint32Array(count)
    for (let i = 0; i < count; i++) {
      const o = offsets[i]
      if (typeof o !== 'number' || offsets.length !== count) return nativeReadMany.call(this, offsets)
      offs[i] = o
    }
    let target = Buffer.allocUnsafeSlow(Math.min(64 * 1024 * 1024, Math.max(64, count * manyGuess)))
    let used = fastReadManyInto(h, offs, count, target, lengths)
    if (used < 0) {
      target = Buffer.allocUnsafeSlow(-used - 1)
      used = fastReadManyInto(h, offs, count, target, lengths)
      if (used < 0) return nativeReadMany.call(this, offsets) // records changed in between
    }
    if (count > 0) manyGuess = Math.min(64 * 1024, Math.ceil(used / count) + 8)
    const values = new Array(count)
    let at = 0
    for (let i = 0; i < count; i++) {
      const n = lengths[i]
      values[i] = target.subarray(at, at + n)
      at += n
    }
    return values
  } finally {
    readingMany = false
  }
}

module.exports = { Log, Cursor, NamedCursor, LogIterator, AutoCommitIterator }
