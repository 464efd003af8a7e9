// A rule raising one catalogued finding and one the catalogue lacks: catalogue_ids.py must fail.
void rule(Findings& out, bool odd) {
  out.push_back(make_finding(odd ? "a-finding" : "not-catalogued", {}, {"evidence"}));
}
