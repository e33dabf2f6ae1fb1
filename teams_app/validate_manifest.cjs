// Validates a Teams app manifest with Microsoft's own validator, offline.
//
//   node teams_app/validate_manifest.cjs path/to/manifest.json [node-project]
//
// Prints a JSON array on stdout: [] when the manifest is valid, one string per schema error
// otherwise. Exit code 0 = valid, 1 = schema errors, 2 = could not validate (bad input, the
// schema not bundled, the Node packages not installed).
//
// @microsoft/app-manifest ships the Teams JSON schemas in build/json-schemas/teams/v1.x and
// AppManifestUtils.validateAgainstSchema reads the one named by the manifest's $schema from
// there. If that file is missing it would download the schema instead, so this script first
// makes sure the bundled file exists: nothing here ever goes to the network.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

// The folder `npm ci --prefix tests/e2e` installed into: given (icc-bot package passes it), else
// the checkout's.
const NODE_PROJECT = path.resolve(process.argv[3] || path.join(__dirname, "..", "tests", "e2e"));

function fail(message) {
  process.stderr.write(`validate_manifest: ${message}\n`);
  process.exit(2);
}

function loadGeneratedTypes() {
  const requireFromProject = createRequire(path.join(NODE_PROJECT, "package.json"));
  try {
    return requireFromProject("@microsoft/app-manifest/build/generated-types");
  } catch (error) {
    fail(
      `cannot load @microsoft/app-manifest from ${NODE_PROJECT} ` +
        `(${error.message.split("\n")[0]}); run \`npm ci --prefix tests/e2e\``,
    );
  }
  return undefined;
}

function bundledSchemaPath(generatedTypes, schemaUrl) {
  const { AppManifestUtils } = generatedTypes;
  const suffix =
    typeof AppManifestUtils.getLocalSchemaSuffix === "function"
      ? AppManifestUtils.getLocalSchemaSuffix(schemaUrl)
      : undefined;
  if (!suffix) {
    return undefined;
  }
  // The same place validateAgainstSchema looks first: the package's build/ folder.
  const generatedDir = path.dirname(
    createRequire(path.join(NODE_PROJECT, "package.json")).resolve(
      "@microsoft/app-manifest/build/generated-types",
    ),
  );
  const candidate = path.join(generatedDir, "..", suffix);
  return fs.existsSync(candidate) ? candidate : undefined;
}

async function main() {
  const manifestPath = process.argv[2];
  if (!manifestPath || process.argv.length > 4) {
    fail("usage: node teams_app/validate_manifest.cjs <manifest.json> [node-project]");
  }
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8").replace(/^\uFEFF/, ""));
  } catch (error) {
    fail(`cannot read ${manifestPath}: ${error.message}`);
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    fail(`${manifestPath} is not a JSON object`);
  }
  if (typeof manifest.$schema !== "string") {
    fail(`${manifestPath} has no $schema`);
  }
  const generatedTypes = loadGeneratedTypes();
  if (!bundledSchemaPath(generatedTypes, manifest.$schema)) {
    fail(
      `the schema ${manifest.$schema} is not bundled in @microsoft/app-manifest; ` +
        "use a manifestVersion whose schema it ships (build/json-schemas/teams/)",
    );
  }
  const errors = await generatedTypes.AppManifestUtils.validateAgainstSchema(manifest);
  process.stdout.write(`${JSON.stringify(errors)}\n`);
  process.exit(errors.length === 0 ? 0 : 1);
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
