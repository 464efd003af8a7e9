#pragma once
// The findings catalogue: every finding's id, severities, wording (title, explanation and fix,
// with {name} placeholders), public reference and when it is raised, kept as data in
// diagnosis/data/findings.json; docs/findings.md's tables are generated from the same file.
// Rules only decide when a finding applies and fill its placeholders, evidence and GPUs. A
// misuse (an unknown id, a missing or extra placeholder value, a severity the entry does not
// allow) is a programming error and throws std::logic_error.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rigcheck/diagnosis/finding.h"

namespace rigcheck::diagnosis {

// Placeholder values by name: {"gpu", "GPU0 0000:01:00.0 (…)"} fills "{gpu}".
using Params = std::map<std::string, std::string, std::less<>>;

// How an entry is worded. In a variant, empty fields (and no severity) take the entry's.
struct Wording {
  std::optional<Severity> severity;  // the default (always set on an entry's own wording)
  std::vector<Severity> severities;  // every severity a rule may give it, the default among them
  std::string title;
  std::string explanation;
  std::string fix;
  std::string reference;   // public: URLs, never a file outside the repository
  std::string when;        // for the docs: when the finding is raised
  std::vector<std::string> inputs;  // for import: which tools' outputs it is read from
};

struct CatalogueEntry {
  std::string id;
  Wording wording;
  // Other wordings of the same finding: one named after a raiser ("import") is that raiser's
  // (its evidence comes from pasted outputs, not the machine); others name a case ("geforce").
  std::map<std::string, Wording, std::less<>> variants;
  std::vector<std::string> raised_by;  // "doctor", "run", "bench", "import"

  // The wording of `variant` with the entry's fields filled in; "" is the entry's own.
  Wording resolved(std::string_view variant = {}) const;
  // Whether some wording of the entry allows `s`.
  bool allows(Severity s) const;
};

// Parses and validates a catalogue document; throws std::logic_error naming what is wrong.
std::vector<CatalogueEntry> parse_catalogue(std::string_view json_text);

// The embedded catalogue, parsed and validated on first use.
const std::vector<CatalogueEntry>& catalogue();
const CatalogueEntry* find_catalogue_entry(std::string_view id);

// A finding of catalogue entry `id` in its default severity and own wording.
Finding make_finding(std::string_view id, const Params& params = {}, std::vector<std::string> evidence = {},
                     std::vector<int> gpus = {});
// The same in one of the entry's variants (which must exist).
Finding make_finding_variant(std::string_view id, std::string_view variant, const Params& params = {},
                             std::vector<std::string> evidence = {}, std::vector<int> gpus = {});

// Gives `f` another severity its entry allows (in any of its wordings: a Finding does not
// remember which one it was made in).
void set_severity(Finding& f, Severity severity);

// "info", "warning", "critical" back to a Severity; throws std::logic_error otherwise.
Severity severity_from_string(std::string_view s);

}  // namespace rigcheck::diagnosis
