// A compiler workload for libswiftmm's real-program runs: g++ -O2 over the standard library's
// heaviest headers and a few instantiations (cc1plus allocates its trees, hash tables and
// obstacks with malloc). Compiled, never linked: its object code is compared across allocators.
#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace workload {

using Value = std::variant<long, double, std::string, std::vector<long>>;

struct Record {
    std::string name;
    std::map<std::string, Value> fields;
    std::unordered_map<long, std::set<std::string>> index;
};

std::string describe(const Value &value) {
    return std::visit([](const auto &v) -> std::string {
        std::ostringstream out;
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::vector<long>>) {
            for (long x : v) out << x << ',';
        } else {
            out << v;
        }
        return out.str();
    }, value);
}

std::vector<std::string> tokens(const std::string &text) {
    static const std::regex word(R"((\w+)-(\d+))");
    std::vector<std::string> result;
    for (std::sregex_iterator it(text.begin(), text.end(), word), end; it != end; ++it)
        result.push_back((*it)[1].str() + (*it)[2].str());
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
}

std::map<std::string, std::vector<std::unique_ptr<Record>>> group(std::vector<std::unique_ptr<Record>> records) {
    std::map<std::string, std::vector<std::unique_ptr<Record>>> groups;
    for (auto &record : records) groups[record->name.substr(0, 3)].push_back(std::move(record));
    return groups;
}

long fold(const std::vector<std::function<long(long)>> &steps, long seed) {
    for (const auto &step : steps) seed = step(seed);
    return seed;
}

}  // namespace workload

int main() {
    std::vector<std::unique_ptr<workload::Record>> records;
    for (long i = 0; i < 100; i++) {
        auto record = std::make_unique<workload::Record>();
        record->name = "r" + std::to_string(i);
        record->fields["n"] = i;
        record->fields["s"] = std::string(static_cast<size_t>(i), 'x');
        record->fields["v"] = std::vector<long>{i, i * 2};
        record->index[i % 7].insert(record->name);
        records.push_back(std::move(record));
    }
    auto groups = workload::group(std::move(records));
    std::cout << groups.size() << ' ' << workload::tokens("a-1 b-2 a-1").size() << ' '
              << workload::describe(workload::Value{3.5}) << ' '
              << workload::fold({[](long x) { return x * 3; }, [](long x) { return x + 1; }}, 2) << '\n';
}
