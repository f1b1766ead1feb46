// Spendbot: small progressive touches; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Keep the typing box ready after an expense was added, for the next one.
  const quick = document.getElementById("quick-text");
  if (quick && document.getElementById("bot-reply")) {
    quick.focus();
  }
});
