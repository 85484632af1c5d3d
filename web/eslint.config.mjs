// Lint for the browser code we write (the widget and the site script); vendored files are not ours.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**", "static/vendor/**"] },
  js.configs.recommended,
  {
    files: ["static/**/*.js"],
    languageOptions: { ecmaVersion: 2017, sourceType: "script", globals: { ...globals.browser } },
    rules: {
      "no-var": "off", // ES5-style on purpose: the widget runs on old phone browsers without a build step
      eqeqeq: ["error", "always"],
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
    },
  },
];
