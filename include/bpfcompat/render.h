// Rendering an ir::Object for people (text) and machines (YAML/JSON).
#pragma once

#include "bpfcompat/document.h"
#include "bpfcompat/ir.h"

#include <string>
#include <string_view>

namespace bpfcompat {

struct RenderOptions {
  bool instructions = true; // include per-program instruction listings
};

// The full IR as a document; schema in docs/ir-schema.md, versioned by
// ir::kSchemaVersion.
doc::Value toDocument(const ir::Object &object,
                      const RenderOptions &options = {});

// Human-readable summary: convention and evidence, maps table, programs
// table, data sections, diagnostics.
std::string toText(const ir::Object &object);

// `text` with control bytes and DEL as \xNN, so names taken from an object
// cannot drive a terminal. Every text output and every CLI message uses it;
// messages span lines, so they keep their line breaks.
std::string printable(std::string_view text, bool keepLineBreaks = false);

} // namespace bpfcompat
