// Allure 3's HTML report of a run (`npx --yes allure@3 generate results/allure-results`, Node only,
// no Java). The trend across runs is read from and appended to $ALLURE_HISTORY, a JSONL file the
// scheduled jobs keep on the data branch beside the results history.
export default {
  name: "Slurpy monitor",
  output: "./results/allure-report",
  historyPath: process.env.ALLURE_HISTORY || "./results/allure-history.jsonl",
};
