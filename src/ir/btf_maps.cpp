// BTF-defined maps (libbpf >= 0.0.4, cilium/ebpf): the `.maps` DATASEC, one
// VAR per map whose STRUCT type encodes each attribute in its member types.
#include "bpfcompat/error.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/ADT/StringSet.h>

#include <algorithm>

#include "read_support.h"

namespace bpfcompat::read {

namespace {

constexpr uint32_t kMapTypeProgArray = 3;
constexpr uint32_t kMapTypeArrayOfMaps = 12;
constexpr uint32_t kMapTypeHashOfMaps = 13;

bool isMapInMap(uint32_t type) {
  return type == kMapTypeArrayOfMaps || type == kMapTypeHashOfMaps;
}

struct MapDefinition {
  ir::MapShape shape;
  uint32_t pinning = 0;
  std::optional<ir::MapShape> inner;
  std::optional<uint64_t> valuesBitOffset; // where `values` slots start
};

class BtfMapParser {
public:
  BtfMapParser(const btf::Btf &btf, ir::Object &object)
      : btf_(btf), object_(object) {}

  llvm::Expected<MapDefinition> parse(const btf::Type &def,
                                      llvm::StringRef mapName, bool isInner) {
    MapDefinition out;
    bool haveKeySize = false, haveValueSize = false;
    for (size_t i = 0; i < def.members.size(); ++i) {
      const btf::Member &m = def.members[i];
      auto ctx = [&](const llvm::Twine &msg) {
        return makeError("map '" + mapName + "' field '" + m.name +
                         "': " + msg);
      };
      llvm::StringRef name = m.name;
      if (name == "values") {
        if (i + 1 != def.members.size())
          return ctx("'values' must be the last member");
        if (isInner)
          return ctx("nested map-in-map 'values' is not supported");
        if (llvm::Error err = parseValues(m, mapName, out))
          return err;
        continue;
      }
      if (name == "key" || name == "value") {
        const btf::Type *ptr = btf_.skipModsAndTypedefs(m.type);
        if (!ptr || ptr->kind != btf::Kind::Ptr)
          return ctx("expected a pointer (__type)");
        auto size = btf_.resolveSize(ptr->type);
        if (!size)
          return ctx(toString(size.takeError()));
        uint32_t &field =
            name == "key" ? out.shape.keySize : out.shape.valueSize;
        bool &haveSize = name == "key" ? haveKeySize : haveValueSize;
        if (haveSize && field != *size)
          return ctx("conflicts with the " + name + "_size member");
        field = uint32_t(*size);
        haveSize = true;
        (name == "key" ? out.shape.btfKeyTypeId : out.shape.btfValueTypeId) =
            ptr->type;
        continue;
      }
      auto value = integerAttribute(m);
      if (!value)
        return ctx(toString(value.takeError()));
      if (name == "type")
        out.shape.type = uint32_t(*value);
      else if (name == "max_entries")
        out.shape.maxEntries = uint32_t(*value);
      else if (name == "map_flags")
        out.shape.flags = uint32_t(*value);
      else if (name == "numa_node")
        out.shape.numaNode = uint32_t(*value);
      else if (name == "map_extra")
        out.shape.mapExtra = *value;
      else if (name == "pinning") {
        if (isInner)
          return ctx("pinning is not allowed on an inner map");
        if (*value > 1)
          return ctx("invalid pinning value " + llvm::Twine(*value) +
                     " (libbpf accepts 0 or 1)");
        out.pinning = uint32_t(*value);
      } else if (name == "key_size" || name == "value_size") {
        uint32_t &field =
            name == "key_size" ? out.shape.keySize : out.shape.valueSize;
        bool &haveSize = name == "key_size" ? haveKeySize : haveValueSize;
        if (haveSize && field != *value)
          return ctx("conflicts with the " + name.drop_back(5) + " member");
        field = uint32_t(*value);
        haveSize = true;
      } else {
        object_.diag(ir::Severity::Warning, "btf-map-unknown-field",
                     "map '" + mapName.str() + "' has unknown field '" +
                         m.name.str() +
                         "' (libbpf rejects it unless relaxed_maps)",
                     mapName.str());
      }
    }
    if (out.shape.type == 0)
      return makeError("map '" + mapName + "': map type isn't specified");
    return out;
  }

private:
  // __uint(name, N) is `int (*name)[N]`; __ulong (libbpf >= 1.4) is an enum
  // with one enumerator.
  llvm::Expected<uint64_t> integerAttribute(const btf::Member &m) {
    const btf::Type *t = btf_.skipModsAndTypedefs(m.type);
    if (t && t->kind == btf::Kind::Ptr) {
      const btf::Type *arr = btf_.type(t->type);
      if (!arr || arr->kind != btf::Kind::Array)
        return makeError("expected a pointer to an array (__uint)");
      return arr->arrayNelems;
    }
    if (t && (t->kind == btf::Kind::Enum || t->kind == btf::Kind::Enum64) &&
        t->enumerators.size() == 1)
      return uint64_t(t->enumerators[0].value);
    return makeError("expected __uint (pointer to array) or __ulong (enum)");
  }

  // __array(values, T): ARRAY[0] of PTR -> STRUCT (inner map) or FUNC_PROTO.
  llvm::Error parseValues(const btf::Member &m, llvm::StringRef mapName,
                          MapDefinition &out) {
    const btf::Type *arr = btf_.skipModsAndTypedefs(m.type);
    if (!arr || arr->kind != btf::Kind::Array || arr->arrayNelems != 0)
      return makeError("map '" + mapName +
                       "': 'values' must be a zero-length array (__array)");
    const btf::Type *ptr = btf_.skipModsAndTypedefs(arr->arrayElemType);
    if (!ptr || ptr->kind != btf::Kind::Ptr)
      return makeError("map '" + mapName +
                       "': 'values' elements must be pointers");
    const btf::Type *pointee = btf_.skipModsAndTypedefs(ptr->type);
    out.valuesBitOffset = m.bitOffset;
    if (pointee && pointee->kind == btf::Kind::Struct) {
      auto inner = parse(*pointee, (mapName + ".inner").str(), true);
      if (!inner)
        return inner.takeError();
      out.inner = inner->shape;
    } else if (!pointee || pointee->kind != btf::Kind::FuncProto) {
      return makeError("map '" + mapName +
                       "': 'values' must point to a map definition struct or "
                       "a function prototype");
    }
    // libbpf forces value_size 4 (a map fd or prog fd) once `values` exists.
    if (out.shape.valueSize != 0 && out.shape.valueSize != 4)
      return makeError("map '" + mapName + "': value_size " +
                       llvm::Twine(out.shape.valueSize) +
                       " with 'values' (must be 4)");
    out.shape.valueSize = 4;
    return llvm::Error::success();
  }

  const btf::Btf &btf_;
  ir::Object &object_;
};

struct PlacedMap {
  size_t index;    // into object.maps
  uint64_t offset; // of the definition in `.maps`
  uint64_t size;   // bytes covered, including `values` slots
  std::optional<uint64_t> valuesOffset;
};

// The first non-section symbol of each name in `section`: indexed once, as a
// lookup per map scanning every symbol was quadratic in maps.
llvm::StringMap<const elf::Symbol *> symbolsIn(const elf::File &file,
                                               uint32_t section) {
  llvm::StringMap<const elf::Symbol *> out;
  for (const elf::Symbol &sym : file.symbols())
    if (sym.shndx == section && sym.type != elf::kSttSection)
      out.try_emplace(sym.name, &sym);
  return out;
}

llvm::Error readSlots(const elf::File &file, ir::Object &object,
                      const elf::Section &mapsSec,
                      const std::vector<PlacedMap> &placed) {
  std::vector<elf::Rel> rels = file.relocationsFor(mapsSec.index);
  for (size_t i = 0; i < rels.size(); ++i) {
    const elf::Rel &rel = rels[i];
    auto fail = [&](const llvm::Twine &msg) {
      return sectionError(".rel.maps", i * 16, msg);
    };
    const PlacedMap *owner = nullptr;
    for (const PlacedMap &p : placed)
      if (rel.offset >= p.offset && rel.offset < p.offset + p.size)
        owner = &p;
    if (!owner || !owner->valuesOffset || rel.offset < *owner->valuesOffset ||
        (rel.offset - *owner->valuesOffset) % 8)
      return fail("relocation at .maps+" + hex(rel.offset) +
                  " is not inside a 'values' array");
    ir::Map &map = object.maps[owner->index];
    const elf::Symbol &sym = *file.symbol(rel.symbol);
    ir::Slot slot;
    slot.index = uint32_t((rel.offset - *owner->valuesOffset) / 8);
    if (map.shape.type == kMapTypeProgArray) {
      const elf::Section *symSec = file.section(sym.shndx);
      if (!symSec || !read::isProgramSection(*symSec) ||
          sym.type != elf::kSttFunc || symSec->name == ".text")
        return fail("prog array '" + map.name + "' slot " +
                    llvm::Twine(slot.index) +
                    " must name an entry program, "
                    "not '" +
                    sym.name + "'");
      slot.kind = ir::Slot::Kind::Program;
      slot.target = sym.name;
    } else if (isMapInMap(map.shape.type)) {
      const ir::Map *inner = nullptr;
      for (const PlacedMap &p : placed)
        if (sym.shndx == mapsSec.index && p.offset == sym.value)
          inner = &object.maps[p.index];
      if (!inner)
        return fail("map-in-map '" + map.name + "' slot " +
                    llvm::Twine(slot.index) + " must name a .maps map, not '" +
                    sym.name + "'");
      slot.kind = ir::Slot::Kind::Map;
      slot.target = inner->name;
    } else {
      return fail("map '" + map.name + "' of type " +
                  mapTypeName(map.shape.type) + " cannot have 'values'");
    }
    map.slots.push_back(std::move(slot));
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error readBtfMaps(const elf::File &file, ir::Object &object) {
  const elf::Section *mapsSec = file.sectionByName(".maps");
  if (!mapsSec)
    return llvm::Error::success();
  if (!object.btf)
    return sectionError(".maps", "BTF is required for BTF-defined maps, but "
                                 "the object has no .BTF section");
  const btf::Btf &btf = *object.btf;
  const btf::Type *datasec = btf.findByName(".maps", btf::Kind::Datasec);
  if (!datasec)
    return sectionError(".maps", "BTF has no DATASEC '.maps'");

  BtfMapParser parser(btf, object);
  std::vector<PlacedMap> placed;
  llvm::StringMap<const elf::Symbol *> symbols =
      symbolsIn(file, mapsSec->index);
  llvm::StringSet<> mapNames; // the object's maps, for duplicates
  for (const ir::Map &map : object.maps)
    mapNames.insert(map.name);
  for (const btf::VarSecinfo &info : datasec->secinfos) {
    const btf::Type *var = btf.type(info.type);
    if (!var || var->kind != btf::Kind::Var)
      return sectionError(".maps", info.offset,
                          "DATASEC entry is not a VAR (type #" +
                              llvm::Twine(info.type) + ")");
    if (var->linkage != 1)
      return sectionError(".maps", info.offset,
                          "map '" + var->name + "': unsupported map linkage " +
                              llvm::Twine(var->linkage));
    const btf::Type *def = btf.skipModsAndTypedefs(var->type);
    if (!def || def->kind != btf::Kind::Struct)
      return sectionError(".maps", info.offset,
                          "map '" + var->name +
                              "': definition is not a struct");
    // clang leaves DATASEC offsets 0; libbpf takes them from the symbol.
    const elf::Symbol *sym = symbols.lookup(var->name);
    uint64_t offset = datasec->size ? info.offset : (sym ? sym->value : 0);
    if (!datasec->size && !sym)
      return sectionError(".maps",
                          "map '" + var->name + "' has no ELF symbol in .maps");
    uint64_t size = sym && sym->size ? sym->size : def->size;
    if (offset > mapsSec->size || mapsSec->size - offset < def->size)
      return sectionError(".maps", offset,
                          "map '" + var->name + "' definition of " +
                              llvm::Twine(def->size) +
                              " bytes runs past the section end");
    // A SHT_NOBITS `.maps` has no file bytes: all zero, as libbpf reads it.
    llvm::ArrayRef<uint8_t> bytes;
    if (mapsSec->data.size() == mapsSec->size)
      bytes = mapsSec->data.slice(offset, def->size);
    if (std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b; }))
      object.diag(ir::Severity::Error, "btf-map-nonzero",
                  "map '" + var->name.str() +
                      "' definition bytes are not zero; they have no meaning "
                      "(libbpf ignores them, cilium/ebpf refuses the object)",
                  var->name.str(), ir::Location{".maps", offset});
    auto parsed = parser.parse(*def, var->name, false);
    if (!parsed)
      return prefixError(parsed.takeError(), "section '.maps'");
    if (!mapNames.insert(var->name).second)
      return sectionError(".maps", offset,
                          "duplicate map name '" + var->name + "'");
    ir::Map map;
    map.name = var->name;
    map.symbol = sym ? sym->name : var->name;
    map.shape = parsed->shape;
    map.inner = parsed->inner;
    map.pinning.kind =
        parsed->pinning ? ir::PinKind::ByName : ir::PinKind::None;
    map.origin = {".maps", offset};
    map.extras.definitionSize = def->size;
    PlacedMap p{object.maps.size(), offset, size, std::nullopt};
    if (parsed->valuesBitOffset)
      p.valuesOffset = offset + *parsed->valuesBitOffset / 8;
    placed.push_back(p);
    object.maps.push_back(std::move(map));
  }
  return readSlots(file, object, *mapsSec, placed);
}

void applyKvPairAnnotations(ir::Object &object, KvPairRule rule) {
  if (!object.btf)
    return;
  const btf::Btf &btf = *object.btf;
  for (ir::Map &map : object.maps) {
    const btf::Type *kv =
        btf.findByName("____btf_map_" + map.name, btf::Kind::Struct);
    if (!kv || map.shape.btfKeyTypeId || map.shape.btfValueTypeId)
      continue;
    bool shapeOk = rule == KvPairRule::Iproute2
                       ? kv->members.size() == 2 &&
                             kv->members[0].name == "key" &&
                             kv->members[1].name == "value"
                       : kv->members.size() >= 2;
    auto keySize =
        btf.resolveSize(kv->members.size() ? kv->members[0].type : 0);
    auto valueSize =
        btf.resolveSize(kv->members.size() > 1 ? kv->members[1].type : 0);
    bool sizesOk = keySize && valueSize && *keySize == map.shape.keySize &&
                   *valueSize == map.shape.valueSize;
    if (!keySize)
      llvm::consumeError(keySize.takeError());
    if (!valueSize)
      llvm::consumeError(valueSize.takeError());
    if (!shapeOk || !sizesOk) {
      object.diag(ir::Severity::Warning, "kv-pair-mismatch",
                  "BTF struct '____btf_map_" + map.name +
                      "' does not match the map's key/value sizes or member "
                      "layout; key/value types not attached",
                  map.name);
      continue;
    }
    map.shape.btfKeyTypeId = kv->members[0].type;
    map.shape.btfValueTypeId = kv->members[1].type;
  }
}

} // namespace bpfcompat::read
