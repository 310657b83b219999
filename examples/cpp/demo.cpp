// segmentlog from C++17: opens the log in $DEMO_DIR (or argv[1]) through the RAII wrapper,
// iterates over every record and prints a summary and the last few values, then reads those
// again with one read_many call.
#include <cstdlib>
#include <iostream>
#include <vector>

#include "segmentlog.hpp"

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : std::getenv("DEMO_DIR");
    if (dir == nullptr) {
        std::cerr << "usage: " << argv[0] << " DIR (or set DEMO_DIR)\n";
        return 2;
    }
    try {
        segmentlog::Log log(dir);
        auto reader = log.reader(log.lowest_offset());
        std::vector<segmentlog::Record> tail;
        std::uint64_t count = 0;
        while (auto rec = reader.next()) {
            ++count;
            tail.push_back(std::move(*rec));
            if (tail.size() > 3) tail.erase(tail.begin());
        }
        std::cout << "C++: read " << count << " records (offsets " << log.lowest_offset()
                  << ".." << log.next_offset() << "); the last ones:";
        for (const auto &r : tail) std::cout << " [" << r.offset << "] \"" << r.value << "\"";
        std::cout << "\n";
        // The same last records again, in one multi-get call, newest first.
        std::vector<std::uint64_t> offsets;
        for (auto r = tail.rbegin(); r != tail.rend(); ++r) offsets.push_back(r->offset);
        auto values = log.read_many(offsets);
        for (size_t i = 0; i < values.size(); ++i) {
            if (values[i] != tail[tail.size() - 1 - i].value) {
                std::cerr << "C++: read_many disagrees with the reader at " << offsets[i] << "\n";
                return 1;
            }
        }
        std::cout << "C++: read_many gave the same " << values.size() << " values\n";
        return 0;
    } catch (const segmentlog::Error &e) {
        std::cerr << "C++ demo failed: " << e.what() << "\n";
        return 1;
    }
}
