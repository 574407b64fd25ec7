// The toy application: one page exported, one charted, each title typed by a user.
const { exportPage } = require("@pinlab-toys/export");
const { chartPage } = require("@pinlab-toys/charts");

const title = "<script>alert(1)</script>";
console.log(exportPage(title));
console.log(chartPage(title));
