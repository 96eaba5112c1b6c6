// bundles.mjs: a bundle written into a fake Emscripten file system, without a build.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { writeBundle, writeBundles } from "../bundles.mjs";
import { concat } from "../progress.mjs";

/** A bundle as guide.browser_build.bundles.write_bundle writes it (files sorted by name). */
function makeBundle(root, files, later = undefined) {
  const names = Object.keys(files).sort();
  const encoder = new TextEncoder();
  const contents = names.map((name) => encoder.encode(files[name]));
  const header = encoder.encode(
    JSON.stringify({ root, files: names.map((n, i) => [n, contents[i].byteLength]), later }),
  );
  const parts = [new Uint8Array(4), header, ...contents];
  new DataView(parts[0].buffer).setUint32(0, header.byteLength, true);
  return concat(parts);
}

/** The part of Emscripten's FS that writeBundle uses, recording the calls. */
function fakeFS() {
  const fs = { dirs: [], files: {}, nodes: {} };
  fs.mkdirTree = (dir) => fs.dirs.push(dir);
  fs.writeFile = (path, data) => {
    fs.files[path] = new TextDecoder().decode(data);
    fs.nodes[path] = { contents: data, usedBytes: data.length };
  };
  fs.lookupPath = (path) => ({ node: fs.nodes[path] });
  fs.ErrnoError = class extends Error {};
  return fs;
}

/** A node's bytes as text, as MEMFS reads them. */
const read = (node) => new TextDecoder().decode(node.contents.subarray(0, node.usedBytes));

describe("writeBundle", () => {
  test("writes every file under the root, making each folder once", () => {
    const FS = fakeFS();
    const bundle = makeBundle("/home/pyodide/mysite", {
      "manage.py": "import sys\n",
      "polls/models.py": "class Question: ...\n",
      "polls/views.py": "",
      "mysite/settings.py": "DEBUG = True\n",
    });
    assert.equal(writeBundle(FS, bundle), 4);
    assert.deepEqual(FS.files, {
      "/home/pyodide/mysite/manage.py": "import sys\n",
      "/home/pyodide/mysite/mysite/settings.py": "DEBUG = True\n",
      "/home/pyodide/mysite/polls/models.py": "class Question: ...\n",
      "/home/pyodide/mysite/polls/views.py": "",
    });
    assert.deepEqual(FS.dirs, [
      "/home/pyodide/mysite",
      "/home/pyodide/mysite/mysite",
      "/home/pyodide/mysite/polls",
    ]);
  });

  test("reads a bundle that is a view into a larger buffer", () => {
    const bundle = makeBundle("/lib", { "a.py": "a" });
    const larger = new Uint8Array(bundle.byteLength + 8);
    larger.set(bundle, 8);
    const FS = fakeFS();
    writeBundle(FS, larger.subarray(8));
    assert.deepEqual(FS.files, { "/lib/a.py": "a" });
  });

  test("a truncated bundle, one with extra bytes, or not a bundle at all: an error naming it", () => {
    const bundle = makeBundle("/lib", { "a.py": "abc" });
    assert.throws(
      () => writeBundle(fakeFS(), bundle.subarray(0, bundle.byteLength - 1), "x.bundle"),
      {
        message: "x.bundle is truncated or has extra bytes",
      },
    );
    const extra = new Uint8Array(bundle.byteLength + 1);
    extra.set(bundle);
    assert.throws(
      () => writeBundle(fakeFS(), extra, "x.bundle"),
      /x\.bundle is truncated or has extra bytes/,
    );
    assert.throws(
      () => writeBundle(fakeFS(), new TextEncoder().encode("PK\x03\x04 a zip"), "y.zip"),
      /^Error: y\.zip is not a bundle: /,
    );
  });
});

describe("a restored bundle's later files", () => {
  const later = makeBundle("/lib/site", {
    "django/core/management/base.pyc": "manage",
    "z.txt": "z",
  });
  const restored = makeBundle(
    "/lib/site",
    { "django/__init__.pyc": "", "django/contrib/auth/models.pyc": "read first" },
    [
      {
        bundle: "django.later.bundle",
        files: [
          ["django/core/management/base.pyc", 6],
          ["z.txt", 1],
        ],
      },
    ],
  );

  test("are made at once with their size; their bytes come from the later bundle", async () => {
    let resolve;
    const download = {
      later: new Promise((yes) => {
        resolve = yes;
      }),
      now: () => assert.fail("no read came first"),
    };
    const FS = fakeFS();
    const asked = [];
    const count = writeBundle(FS, restored, "django.restored.bundle", (name) => {
      asked.push(name);
      return download;
    });
    assert.equal(count, 4);
    assert.deepEqual(asked, ["django.later.bundle"]);
    const node = FS.nodes["/lib/site/django/core/management/base.pyc"];
    assert.equal(node.usedBytes, 6);
    assert.equal(read(FS.nodes["/lib/site/django/contrib/auth/models.pyc"]), "read first");
    assert.ok(FS.dirs.includes("/lib/site/django/core/management"));
    resolve(later);
    await new Promise((done) => setTimeout(done, 0));
    assert.equal(read(node), "manage");
    assert.equal(read(FS.nodes["/lib/site/z.txt"]), "z");
  });

  test("read before the later bundle arrives, one download now serves every file", () => {
    let now = 0;
    const download = {
      later: new Promise(() => {}),
      now: () => {
        now += 1;
        return later;
      },
    };
    const FS = fakeFS();
    writeBundle(FS, restored, "django.restored.bundle", () => download);
    assert.equal(read(FS.nodes["/lib/site/django/core/management/base.pyc"]), "manage");
    assert.equal(read(FS.nodes["/lib/site/z.txt"]), "z");
    assert.equal(now, 2, "each file asks; laterDownload's now() downloads once");
  });

  test("without the later bundle's download: an error naming both", () => {
    assert.throws(
      () => writeBundle(fakeFS(), restored, "django.restored.bundle"),
      /^Error: django\.restored\.bundle has files that come in django\.later\.bundle/,
    );
  });
});

describe("writeBundles", () => {
  test("writes each bundle in order; an error names the bundle's URL", () => {
    const FS = fakeFS();
    writeBundles(FS, [
      [
        "packages.bundle",
        makeBundle("/lib/site-packages", { "django/__init__.py": "VERSION = 1\n" }),
      ],
      ["project.bundle", makeBundle("/home/pyodide/mysite", { "manage.py": "" })],
    ]);
    assert.deepEqual(Object.keys(FS.files), [
      "/lib/site-packages/django/__init__.py",
      "/home/pyodide/mysite/manage.py",
    ]);
    assert.throws(
      () => writeBundles(fakeFS(), [["broken.bundle", new Uint8Array(2)]], "/runtime/pyodide/"),
      /^Error: \/runtime\/pyodide\/broken\.bundle is not a bundle/,
    );
  });
});
