'use strict'
// The async iterator returned by `log.iter()`, built on the native Cursor:
// `cursor.read(n)` hands over records already in the log without blocking, and
// `cursor.waitAsync(n)` waits off the main thread (no polling) for the next ones. Both give a
// chunk: one Buffer with the values and `[offset, timestamp, end]` per record; each record's
// value is a view of that Buffer (one allocation per chunk instead of one per record).

/** How many records one call into the addon fetches (at most ~1 MiB of values). */
const BATCH = 256

class LogIterator {
  #cursor
  #live
  #chunk = null
  #count = 0
  #pos = 0
  #start = 0
  #done = false
  #busy = 0
  #queue = Promise.resolve()

  constructor(cursor, live) {
    this.#cursor = cursor
    this.#live = live
  }

  [Symbol.asyncIterator]() {
    return this
  }

  /** The next record; calls are served in order even when not awaited one by one. */
  next() {
    if (this.#busy === 0 && this.#pos < this.#count) {
      return Promise.resolve({ value: this.#take(), done: false })
    }
    this.#busy++
    const result = this.#queue.then(() => this.#fetch())
    const settled = () => {
      this.#busy--
    }
    result.then(settled, settled)
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  /** Ends the iteration (what `break` calls): a pending live wait ends at once. */
  return(value) {
    this.#end()
    return Promise.resolve({ value, done: true })
  }

  #take() {
    const { meta, data } = this.#chunk
    const i = 3 * this.#pos++
    const end = meta[i + 2]
    const record = { offset: meta[i], timestamp: meta[i + 1], value: data.subarray(this.#start, end) }
    this.#start = end
    return record
  }

  #fill(chunk) {
    this.#chunk = chunk
    this.#count = chunk ? chunk.meta.length / 3 : 0
    this.#pos = 0
    this.#start = 0
    return this.#count > 0
  }

  async #fetch() {
    if (this.#pos < this.#count) return { value: this.#take(), done: false }
    if (this.#done) return { value: undefined, done: true }
    try {
      let chunk = this.#cursor.read(BATCH)
      // Each wait lasts at most one slice (an empty chunk): wait again until a record comes.
      while (this.#live && chunk && chunk.meta.length === 0 && !this.#done) {
        chunk = await this.#cursor.waitAsync(BATCH)
      }
      if (this.#done || !this.#fill(chunk)) {
        this.#end()
        return { value: undefined, done: true }
      }
      return { value: this.#take(), done: false }
    } catch (err) {
      // A hole is reported once; the cursor is already past it, so the next call goes on.
      if (err && err.code === 'ERR_SEGMENTLOG_HOLE' && !this.#done) throw err
      this.#end()
      // close() ends an iteration cleanly, whichever side of the wait it happens on.
      if (err && err.code === 'ERR_SEGMENTLOG_CLOSED') return { value: undefined, done: true }
      throw err
    }
  }

  #end() {
    this.#done = true
    this.#fill(null)
    this.#cursor.cancel()
  }
}

/**
 * What `namedCursor.autoCommit()` returns: the records of a LogIterator over the cursor,
 * committed as they are processed. Asking for the next record counts the one handed out
 * before as processed (core's CommitTally decides when a commit is due); a due commit runs
 * on the thread pool (`commitAsync`) before the next record is handed out. `break` commits
 * nothing more; `commit()` commits every record handed out.
 */
class AutoCommitIterator {
  #cursor
  #tally
  #records
  #queue = Promise.resolve()

  constructor(cursor, tally, records) {
    this.#cursor = cursor
    this.#tally = tally
    this.#records = records
  }

  [Symbol.asyncIterator]() {
    return this
  }

  /** The next record; calls are served in order even when not awaited one by one. */
  next() {
    return this.#serial(async () => {
      await this.#commitIfDue(this.#tally.countBeforeNext())
      const result = await this.#records.next()
      if (!result.done) this.#tally.handedOut(result.value.offset)
      return result
    })
  }

  /** Commits the position after every record handed out so far (all processed), durably. */
  commit() {
    return this.#serial(() => this.#commitIfDue(this.#tally.dueNow()))
  }

  /** Ends the iteration (what `break` calls); commits nothing. */
  return(value) {
    return this.#records.return(value)
  }

  async #commitIfDue(position) {
    if (position === null) return
    await this.#cursor.commitAsync(position)
    this.#tally.committed(position)
  }

  #serial(step) {
    const result = this.#queue.then(step)
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}

module.exports = { LogIterator, AutoCommitIterator }
