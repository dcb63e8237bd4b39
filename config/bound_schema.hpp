// A schema whose keys are bound to the fields they fill. Each key is declared once, with
// its type, range, default, doc and field; reading a resolved Config into the options
// struct walks the same declarations, so keys, defaults and fields cannot drift apart.
//
//   BoundSchema<Options> s;
//   s.integer("model.members", 7, 1, 64, "ensemble size", [](Options& o) -> auto& { return o.model.members; })
//    .choice("model.activation", Unary::silu, kActivations, "hidden activation", [](Options& o) -> auto& { ... });
//   Options o = s.read(config);
#pragma once
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace maac::config {

// An enum's names, in the order the schema lists them: the one table where a string meets
// the enum, used by the schema's choice (allowed values) and by the reader (conversion).
//   constexpr Name<Unary> kActivations[] = {{"relu", Unary::relu}, {"tanh", Unary::tanh}};
template <class E>
using Name = std::pair<const char*, E>;

template <class E, size_t N>
std::vector<std::string> names(const Name<E> (&table)[N]) {
  std::vector<std::string> out;
  for (const Name<E>& n : table) out.emplace_back(n.first);
  return out;
}
template <class E, size_t N>
const char* name_of(const Name<E> (&table)[N], E value) {
  for (const Name<E>& n : table)
    if (n.second == value) return n.first;
  throw std::logic_error("config: an enum value without a name in its table");
}
template <class E, size_t N>
E value_of(const Name<E> (&table)[N], const std::string& name) {
  for (const Name<E>& n : table)
    if (name == n.first) return n.second;
  throw std::logic_error("config: '" + name + "' is not in the enum's name table");  // the schema checked it
}

// Where a key's value goes, other than one field (a callable returning a reference to it):
// several fields at once, or a setter and getter where the key is not a field as such.
template <class... Field>
struct Fields {
  std::tuple<Field...> each;
};
template <class... Field>
Fields<Field...> fields(Field... f) { return {{f...}}; }
template <class Set, class Get>
struct Computed {
  Set set;  // (Options&, value)
  Get get;  // (const Options&) -> value
};
template <class Set, class Get>
Computed<Set, Get> computed(Set set, Get get) { return {set, get}; }

template <class Target>
class BoundSchema {
 public:
  template <class Field>
  BoundSchema& integer(const std::string& key, int64_t fallback, int64_t min, int64_t max, const std::string& doc,
                       Field field) {
    schema_.integer(key, fallback, min, max, doc);
    return bind<int64_t>(field, Cast{});
  }
  template <class Field>
  BoundSchema& real(const std::string& key, double fallback, double min, double max, const std::string& doc, Field field) {
    schema_.real(key, fallback, min, max, doc);
    return bind<double>(field, Cast{});
  }
  template <class Field>
  BoundSchema& boolean(const std::string& key, bool fallback, const std::string& doc, Field field) {
    schema_.boolean(key, fallback, doc);
    return bind<bool>(field, Cast{});
  }
  template <class Field>
  BoundSchema& text(const std::string& key, const std::string& fallback, const std::string& doc, Field field) {
    schema_.text(key, fallback, doc);
    return bind<std::string>(field, Cast{});
  }
  template <class Field>
  BoundSchema& reals(const std::string& key, std::vector<double> fallback, int64_t count, const std::string& doc,
                     Field field) {
    schema_.reals(key, std::move(fallback), count, doc);
    return bind<std::vector<double>>(field, Cast{});
  }
  // One of an enum's names, stored as the enum.
  template <class E, size_t N, class Field>
  BoundSchema& choice(const std::string& key, E fallback, const Name<E> (&table)[N], const std::string& doc,
                      Field field) {
    schema_.choice(key, name_of(table, fallback), names(table), doc);
    return bind<std::string>(field, Named<E, N>{&table});
  }
  // A key that no field holds: whoever uses it reads it from the Config.
  template <class E, size_t N>
  BoundSchema& unbound_choice(const std::string& key, E fallback, const Name<E> (&table)[N], const std::string& doc) {
    schema_.choice(key, name_of(table, fallback), names(table), doc);
    return *this;
  }
  // A condition on the options read (across keys), checked after every key is read. The
  // check returns what follows "config key '<the key declared last>'" in the error, or ""
  // when the options are fine.
  BoundSchema& check(std::function<std::string(const Target&)> why_not) {
    if (schema_.entries().empty()) throw std::logic_error("BoundSchema::check before any key");
    checks_.push_back({schema_.entries().size() - 1, std::move(why_not)});
    return *this;
  }

  // Under `tag` (a value of some switch, e.g. an ablation), the key declared last is set
  // to `value`: declared with the key it rewrites.
  template <class Tag>
  BoundSchema& set_under(Tag tag, const std::string& value) {
    static_assert(std::is_enum_v<Tag>, "set_under takes an enum value");
    if (schema_.entries().empty()) throw std::logic_error("BoundSchema::set_under before any key");
    implied_.push_back({static_cast<int64_t>(tag), key(schema_.entries().size() - 1) + "=" + value});
    return *this;
  }
  // The "key=value" assignments declared under `tag`, in schema order.
  template <class Tag>
  std::vector<std::string> assignments_under(Tag tag) const {
    std::vector<std::string> out;
    for (const auto& [t, assignment] : implied_)
      if (t == static_cast<int64_t>(tag)) out.push_back(assignment);
    return out;
  }

  const ConfigSchema& schema() const { return schema_; }

  // The options a resolved Config stands for: every bound field set from its key, then the
  // checks. Fields that no key binds keep their initialisers.
  Target read(const Config& c) const {
    Target t{};
    for (const Binding& b : bindings_)
      for (const auto& set : b.set) set(t, c.value(key(b.entry)));
    for (const auto& [entry, why_not] : checks_)
      if (std::string why = why_not(t); !why.empty())
        throw std::invalid_argument("config key '" + key(entry) + "'" + why);
    return t;
  }

  // Every bound key with the value its field holds in `t`, one pair per field, in schema
  // order: for a default-constructed Target, its initialisers, to compare with the schema's
  // defaults.
  std::vector<std::pair<std::string, ConfigValue>> held(const Target& t) const {
    std::vector<std::pair<std::string, ConfigValue>> out;
    for (const Binding& b : bindings_)
      for (const auto& get : b.get) out.emplace_back(key(b.entry), get(t));
    return out;
  }

 private:
  using Setter = std::function<void(Target&, const ConfigValue&)>;
  using Getter = std::function<ConfigValue(const Target&)>;
  struct Binding {
    size_t entry;  // in schema_.entries()
    std::vector<Setter> set;
    std::vector<Getter> get;
  };

  // Config value <-> field: a cast between like types (any integer for an integer key).
  struct Cast {
    template <class F, class V>
    static F to(const V& v) {
      static_assert(std::is_same_v<F, V> || (std::is_integral_v<F> && std::is_integral_v<V> && !std::is_same_v<F, bool> &&
                                             !std::is_same_v<V, bool>),
                    "a config key bound to a field of another type");
      return static_cast<F>(v);
    }
    template <class V, class F>
    static V from(const F& f) { return static_cast<V>(f); }
  };
  // Config name <-> enum, through the enum's name table.
  template <class E, size_t N>
  struct Named {
    const Name<E> (*table)[N];
    template <class F>
    F to(const std::string& name) const {
      static_assert(std::is_same_v<F, E>, "a choice bound to a field of another enum");
      return value_of(*table, name);
    }
    template <class V>
    V from(const E& e) const { return name_of(*table, e); }
  };

  const std::string& key(size_t entry) const { return schema_.entries()[entry].key; }

  template <class V, class Field, class Conv>
  BoundSchema& bind(Field field, Conv conv) {
    Binding b{schema_.entries().size() - 1, {}, {}};
    add<V>(b, field, conv);
    bindings_.push_back(std::move(b));
    return *this;
  }
  // One field: a callable returning a reference to it.
  template <class V, class Field, class Conv>
  static void add(Binding& b, Field field, Conv conv) {
    using F = std::remove_reference_t<std::invoke_result_t<Field, Target&>>;
    b.set.push_back([field, conv](Target& t, const ConfigValue& v) {
      field(t) = conv.template to<F>(std::get<V>(v));
    });
    b.get.push_back([field, conv](const Target& t) {
      return ConfigValue(conv.template from<V>(field(const_cast<Target&>(t))));  // only read
    });
  }
  template <class V, class Conv, class... Field>
  static void add(Binding& b, Fields<Field...> fs, Conv conv) {
    std::apply([&](auto... f) { (add<V>(b, f, conv), ...); }, fs.each);
  }
  template <class V, class Conv, class Set, class Get>
  static void add(Binding& b, Computed<Set, Get> c, Conv) {
    b.set.push_back([c](Target& t, const ConfigValue& v) { c.set(t, std::get<V>(v)); });
    b.get.push_back([c](const Target& t) { return ConfigValue(static_cast<V>(c.get(t))); });
  }

  ConfigSchema schema_;
  std::vector<Binding> bindings_;
  std::vector<std::pair<size_t, std::function<std::string(const Target&)>>> checks_;
  std::vector<std::pair<int64_t, std::string>> implied_;  // set_under: (tag, "key=value")
};

}  // namespace maac::config
