// ESM entry: the same module as `require('segmentlog')`.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const segmentlog = require('./index.js')

export const { Log, Cursor, NamedCursor, LogIterator, AutoCommitIterator } = segmentlog
export default segmentlog
