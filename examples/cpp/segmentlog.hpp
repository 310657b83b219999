// A small C++17 RAII wrapper over the segmentlog C API: Log owns a segmentlog_log* (closed in
// the destructor), Reader owns a segmentlog_reader*; failures throw segmentlog::Error.
#pragma once

#include <segmentlog.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace segmentlog {

// A failed call: the status and the library's message for this thread.
class Error : public std::runtime_error {
  public:
    Error(const std::string &what, segmentlog_status status)
        : std::runtime_error(what + ": " + segmentlog_status_str(status) + ": " + message()),
          status_(status) {}
    segmentlog_status status() const noexcept { return status_; }

  private:
    static std::string message() {
        size_t len = 0;
        if (segmentlog_last_error_message(nullptr, 0, &len) != SEGMENTLOG_STATUS_BUFFER_TOO_SMALL)
            return {};
        std::string buf(len, '\0');
        if (segmentlog_last_error_message(buf.data(), buf.size(), &len) != SEGMENTLOG_STATUS_OK)
            return {};
        buf.resize(len - 1);  // len counts the terminating NUL
        return buf;
    }
    segmentlog_status status_;
};

inline void check(segmentlog_status st, const char *what) {
    if (st != SEGMENTLOG_STATUS_OK) throw Error(what, st);
}

// One record, copied out of the reader's view.
struct Record {
    std::uint64_t offset;
    std::uint64_t timestamp_ms;
    std::string value;
};

// Walks records in order; next() returns nothing at the end (after waiting timeout_ms).
class Reader {
  public:
    std::optional<Record> next(std::int64_t timeout_ms = SEGMENTLOG_NO_WAIT) {
        segmentlog_record rec{};
        bool has = false;
        check(segmentlog_reader_next(reader_.get(), timeout_ms, &rec, &has),
              "segmentlog_reader_next");
        if (!has) return std::nullopt;
        return Record{rec.offset, rec.timestamp,
                      std::string(reinterpret_cast<const char *>(rec.data), rec.len)};
    }

  private:
    friend class Log;
    explicit Reader(segmentlog_reader *r) : reader_(r) {}
    struct Free {
        void operator()(segmentlog_reader *r) const noexcept { segmentlog_reader_free(r); }
    };
    std::unique_ptr<segmentlog_reader, Free> reader_;
};

// An open log; move-only; closed when destroyed. Safe to share by reference among threads.
class Log {
  public:
    explicit Log(const std::string &dir, const segmentlog_options *opts = nullptr) {
        segmentlog_log *log = nullptr;
        check(segmentlog_open(dir.c_str(), opts, &log), "segmentlog_open");
        log_.reset(log);
    }

    std::uint64_t append(std::string_view value) {
        std::uint64_t off = 0;
        check(segmentlog_append(log_.get(), reinterpret_cast<const std::uint8_t *>(value.data()),
                               value.size(), &off),
              "segmentlog_append");
        return off;
    }

    // Reads one value, growing the buffer as BUFFER_TOO_SMALL asks.
    std::string read(std::uint64_t offset) const {
        std::string buf;
        size_t len = 0;
        segmentlog_status st = segmentlog_read(log_.get(), offset, nullptr, 0, &len);
        if (st == SEGMENTLOG_STATUS_BUFFER_TOO_SMALL) {
            buf.resize(len);
            st = segmentlog_read(log_.get(), offset,
                                reinterpret_cast<std::uint8_t *>(buf.data()), buf.size(), &len);
        }
        check(st, "segmentlog_read");
        buf.resize(len);
        return buf;
    }

    // Reads the values at many offsets in one call (a multi-get: their memory misses overlap),
    // in the order given, growing the buffer as BUFFER_TOO_SMALL asks.
    std::vector<std::string> read_many(const std::vector<std::uint64_t> &offsets) const {
        std::vector<size_t> lens(offsets.size());
        std::string buf(offsets.size() * 128, '\0');
        size_t total = 0;
        segmentlog_status st;
        while ((st = segmentlog_read_many(log_.get(), offsets.data(), offsets.size(),
                                         reinterpret_cast<std::uint8_t *>(buf.data()), buf.size(),
                                         lens.data(), &total)) ==
               SEGMENTLOG_STATUS_BUFFER_TOO_SMALL)
            buf.resize(total);
        check(st, "segmentlog_read_many");
        std::vector<std::string> values;
        values.reserve(offsets.size());
        size_t at = 0;
        for (size_t len : lens) {
            values.emplace_back(buf, at, len);
            at += len;
        }
        return values;
    }

    std::uint64_t lowest_offset() const { return query(segmentlog_lowest_offset, "lowest"); }
    std::uint64_t next_offset() const { return query(segmentlog_next_offset, "next"); }

    Reader reader(std::uint64_t from) const {
        segmentlog_reader *r = nullptr;
        check(segmentlog_reader_open(log_.get(), from, &r), "segmentlog_reader_open");
        return Reader(r);
    }

  private:
    using Query = segmentlog_status (*)(segmentlog_log *, std::uint64_t *);
    std::uint64_t query(Query q, const char *what) const {
        std::uint64_t v = 0;
        check(q(log_.get(), &v), what);
        return v;
    }
    struct Close {
        void operator()(segmentlog_log *l) const noexcept { segmentlog_close(l); }
    };
    std::unique_ptr<segmentlog_log, Close> log_;
};

}  // namespace segmentlog
