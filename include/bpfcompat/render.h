// Rendering an ir::Object for people (text) and machines (YAML/JSON).
#pragma once

#include "bpfcompat/document.h"
#include "bpfcompat/ir.h"

#include <string>

namespace bpfcompat {

struct RenderOptions {
  bool instructions = true; // include per-program instruction listings
};

// The full IR as a document; schema in docs/ir-schema.md, versioned by
// ir::kSchemaVersion.
doc::Value toDocument(const ir::Object &object, const RenderOptions &options = {});

// Human-readable summary: convention and evidence, maps table, programs
// table, data sections, diagnostics.
std::string toText(const ir::Object &object);

} // namespace bpfcompat
