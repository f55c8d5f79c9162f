"""A study as a folder anyone can check: `audioprobe publish` writes it, `reproduce` checks it.

results/<study-id>/ holds small files only (no audio):

  publication.json   format, source run, spec, systems, items, sandbox runtime, package versions
  answers/<m>.jsonl  every answer of each code-writing system, exactly as received (replay JSONL)
  renders.csv        per trial: outcome and the hashes of its prompt, script and clip
  trials.csv         `export --table trials`, per trial (wav_path relative to the run)
  sets.csv           `export --table sets`, the set metrics with intervals and counts
  cells.csv          per system × tier: trials, answered, ok, render rate, outcome counts
  measures.csv       per system × tier: every measure the tables show (sets, clip summaries)
  claim.csv          the study's claim test: each tier step per system and measure
  cards.json         the metric cards the numbers were computed under
  summary.md         the tables in words, generated from the files above (docs/results.md)
  figures/*.png      render rate, task success and normalised FAD per tier (matplotlib)

`reproduce` re-renders every answer through the published spec, re-scores, rebuilds the same
tables and compares them number by number (publication.compare declares each tolerance).
"""

FORMAT = 1
PUBLICATION_FILE = "publication.json"
ANSWERS_DIR = "answers"
FIGURES_DIR = "figures"
SUMMARY_FILE = "summary.md"
CARDS_FILE = "cards.json"
