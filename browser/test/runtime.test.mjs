// The browser runtime under Node, against a built OUTDIR:
//
//   python -m guide.browser_build.build build/browser && node --test browser/test/
//
// (BROWSER_BUILD=path overrides the OUTDIR; without it and without a build in
// build/browser, these tests are skipped and only the other *.test.mjs files,
// which need no build, run.) One runtime is booted in this thread for the
// snippet and request tests; runner-worker.test.mjs boots it the other ways.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { zeroFreeMemory } from "../interpreter.mjs";
import { bootNode, needsBuild, outputOf, PYODIDE_DIR } from "./node-runtime.mjs";

const SYNC_ONLY =
  "Traceback (most recent call last):\n  ...\n" +
  "django.core.exceptions.SynchronousOnlyOperation: You cannot call this from an async context - use a thread or sync_to_async.\n";

describe("build output", needsBuild, () => {
  test("every file in the manifest and lock matches its sha256", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PYODIDE_DIR, "manifest.json")));
    const lock = JSON.parse(fs.readFileSync(path.join(PYODIDE_DIR, "pyodide-lock.json")));
    const sha = (file) =>
      createHash("sha256")
        .update(fs.readFileSync(path.join(PYODIDE_DIR, file)))
        .digest("hex");
    for (const [file, info] of Object.entries(manifest.files)) {
      assert.equal(sha(file), info.sha256, file);
    }
    assert.deepEqual(Object.keys(lock.packages).sort(), manifest.packages);
    for (const pkg of Object.values(lock.packages))
      assert.equal(sha(pkg.file_name), pkg.sha256, pkg.file_name);
    assert.deepEqual(lock.packages.django.depends, ["asgiref", "sqlparse"]);
  });

  test("the memory snapshot is part of the build, made with JSPI, fetched at boot in parts", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PYODIDE_DIR, "manifest.json")));
    assert.equal(manifest.snapshot, "snapshot.bin");
    assert.equal(manifest.snapshot_jspi, true);
    const parts = manifest.snapshot_parts;
    assert.deepEqual(
      parts,
      [1, 2, 3, 4].map((n) => `snapshot.part${n}.bin`),
    );
    for (const part of parts) {
      assert.ok(manifest.boot.includes(part), part);
      assert.ok(!manifest.boot_from_scratch.includes(part), part);
      assert.ok(manifest.files[part].size > 0, part);
    }
    const size = parts.reduce((sum, part) => sum + manifest.files[part].size, 0);
    assert.ok(size > 20_000_000, `${size} bytes`);
    // restored, Python starts without the standard library and the files the start does
    // not read (the later bundles): they come after (later-file.mjs)...
    const [stdlib, ...later] = manifest.after_start;
    assert.equal(stdlib, "python_stdlib.zip");
    assert.ok(later.length > 0);
    for (const file of later) assert.match(file, /^[\w.-]+\.later\.[\w-]+\.bundle$/);
    for (const file of manifest.after_start) {
      assert.ok(!manifest.boot.includes(file), file);
      assert.ok(manifest.files[file].size > 0, file);
    }
    assert.ok(manifest.boot_from_scratch.includes("python_stdlib.zip"));
    // ...unless the page's first run reads them (guide.browser_build.first_runs)
    for (const files of Object.values(manifest.first_runs)) {
      for (const file of files) assert.ok(manifest.after_start.includes(file), file);
    }
    // the parts are what is served: no whole snapshot beside them
    assert.equal(manifest.files["snapshot.bin"], undefined);
    assert.equal(fs.existsSync(path.join(PYODIDE_DIR, "snapshot.bin")), false);
  });

  test("the .wasm comes without its data, fetched only to boot from scratch", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PYODIDE_DIR, "manifest.json")));
    const { file, offset } = manifest.wasm_data;
    assert.ok(manifest.boot_from_scratch.includes(file));
    assert.ok(!manifest.boot.includes(file));
    // restored, the data comes from the snapshot's copy and how the two differ
    assert.ok(manifest.boot.includes(manifest.wasm_data.snapshot_difference));
    assert.equal(offset, 1024);
    const wasm = fs.readFileSync(path.join(PYODIDE_DIR, "pyodide.asm.wasm"));
    const data = fs.readFileSync(path.join(PYODIDE_DIR, file));
    assert.ok(WebAssembly.validate(wasm));
    assert.ok(data.length > 3_000_000, `${data.length} bytes of data`);
    // A stretch of CPython's static data is in the image, not in the .wasm.
    const sample = data.subarray(data.length - 4096, data.length - 3072);
    assert.equal(wasm.indexOf(sample), -1);
  });
});

describe("runtime (in this thread)", needsBuild, () => {
  let rt;
  const progress = [];
  before(async () => {
    rt = await bootNode({ onProgress: (event) => progress.push(event) });
  });

  test("boots and reports byte progress", () => {
    assert.equal(rt.versions.django, "6.1.3");
    assert.match(rt.versions.python, /^3\.14\./);
    const last = progress.at(-1);
    assert.equal(last.phase, "ready");
    assert.equal(last.loaded, last.total);
    assert.ok(last.total > 10_000_000, `total ${last.total} bytes`);
    // Node 20 has no WebAssembly.Suspending, so the build's snapshot (made in
    // Chromium, with JSPI) is not used: Python boots and imports Django here,
    // and the snapshot for the fresh runs is taken here (Chromium tests the other path).
    assert.equal("Suspending" in WebAssembly, false);
    assert.deepEqual(
      [...new Set(progress.map((e) => e.phase))],
      ["runtime", "packages", "project", "setup", "ready"],
    );
    assert.ok(rt.timings.snapshot >= 0 && rt.timings.project > 0, JSON.stringify(rt.timings));
    const manifest = JSON.parse(fs.readFileSync(path.join(PYODIDE_DIR, "manifest.json")));
    const snapshotSize = manifest.snapshot_parts
      .map((part) => fs.statSync(path.join(PYODIDE_DIR, part)).size)
      .reduce((a, b) => a + b, 0);
    assert.ok(last.total < snapshotSize, "the build's snapshot is not downloaded");
    for (let i = 1; i < progress.length; i++)
      assert.ok(progress[i].loaded >= progress[i - 1].loaded);
  });

  test("sync ORM at the top level", async () => {
    const r = await rt.run(
      ">>> from polls.models import Question\n>>> Question.objects.count()\n3\n",
    );
    assert.equal(r.output, "3\n");
    assert.equal(r.truncated, false);
  });

  test("expression values are echoed with repr(), None is not, print() is captured", async () => {
    assert.equal(
      await outputOf(
        rt,
        ">>> 'a'\n'a'\n>>> None\n>>> x = 2\n>>> print(x * 21)\n42\n>>> [x]\n[2]\n",
      ),
      "'a'\n42\n[2]\n",
    );
  });

  test("asyncio.run() with the async ORM", async () => {
    assert.equal(
      await outputOf(
        rt,
        [
          ">>> import asyncio",
          ">>> from polls.models import Question",
          ">>> async def main():",
          "...     return [q.question_text async for q in Question.objects.order_by('pk')]",
          ">>> asyncio.run(main())",
        ].join("\n"),
      ),
      "[\"What's new?\", 'Sync or async?', 'Which ASGI server?']\n",
    );
  });

  test("an async function calling the sync ORM raises SynchronousOnlyOperation", async () => {
    assert.equal(
      await outputOf(
        rt,
        [
          ">>> import asyncio",
          ">>> from polls.models import Question",
          ">>> async def count():",
          "...     return Question.objects.count()",
          ">>> asyncio.run(count())",
          ">>> await count()",
          ">>> 'next statement runs'",
        ].join("\n"),
      ),
      `${SYNC_ONLY}${SYNC_ONLY}'next statement runs'\n`,
    );
  });

  test("await sync_to_async(...) and the async ORM at the top level", async () => {
    assert.equal(
      await outputOf(
        rt,
        [
          ">>> from asgiref.sync import sync_to_async",
          ">>> from polls.models import Question",
          ">>> def titles():",
          "...     return list(Question.objects.values_list('question_text', flat=True))",
          ">>> len(await sync_to_async(titles)())",
          ">>> await Question.objects.acount()",
          ">>> async def both():",
          "...     return await sync_to_async(Question.objects.count)(), await Question.objects.acount()",
          ">>> await both()",
        ].join("\n"),
      ),
      "3\n3\n(3, 3)\n",
    );
  });

  test("each run starts from a fresh namespace and a pristine database", async () => {
    assert.equal(
      await outputOf(
        rt,
        ">>> from polls.models import Question\n>>> from django.utils import timezone\n" +
          ">>> _ = Question.objects.create(question_text='new', pub_date=timezone.now())\n" +
          ">>> Question.objects.count()\n>>> leftover = 1\n",
      ),
      "4\n",
    );
    const second = await rt.run(
      ">>> from polls.models import Question\n>>> Question.objects.count()\n>>> leftover\n",
    );
    assert.equal(
      second.output,
      "3\nTraceback (most recent call last):\n  ...\nNameError: name 'leftover' is not defined\n",
    );
  });

  test("each statement's output is returned on its own, as doctest compares them", async () => {
    const r = await rt.run(">>> 1\n1\n>>> x = 2\n>>> print('a'); print('b')\n>>> 1 / 0\n");
    assert.deepEqual(r.examples, [
      "1\n",
      "",
      "a\nb\n",
      "Traceback (most recent call last):\n  ...\nZeroDivisionError: division by zero\n",
    ]);
    assert.equal(r.examples.join(""), r.output);
  });

  test("each statement is compared with what the snippet expects, by doctest's rule", async () => {
    const r = await rt.run(
      ">>> 6 * 7\n42\n>>> print('a'); print('b')\na\nc\n>>> 'long text'\n'long...'\n" +
        ">>> 1 / 0\nTraceback (most recent call last):\n  ...\nZeroDivisionError: division by zero\n" +
        ">>> def half(n):\n...     return n / 0\n>>> half(1)\n",
    );
    const brief = r.statements.map(({ source, matches, diff }) => [source, matches, diff]);
    assert.deepEqual(brief, [
      ["6 * 7\n", true, null],
      ["print('a'); print('b')\n", false, ["  a", "- c", "+ b"]],
      ["'long text'\n", true, null],
      ["1 / 0\n", true, null],
      ["def half(n):\n    return n / 0\n", true, null],
      [
        "half(1)\n",
        false,
        [
          "+ Traceback (most recent call last):",
          "+   ...",
          "+ ZeroDivisionError: division by zero",
        ],
      ],
    ]);
    // doctest's short traceback in the output; the whole one beside it.
    assert.equal(r.statements[0].whole, null);
    assert.equal(
      r.examples[3],
      "Traceback (most recent call last):\n  ...\nZeroDivisionError: division by zero\n",
    );
    assert.match(
      r.statements[5].whole,
      /^Traceback \(most recent call last\):\n {2}File "<doctest snippet\[5\]>", line 1, in <module>\n {4}half\(1\)\n(.*\n)* {2}File "<doctest snippet\[4\]>", line 2, in half\n {4}return n \/ 0\n(.*\n)*ZeroDivisionError: division by zero\n$/,
    );
    assert.doesNotMatch(r.statements[5].whole, /guide_session/);
    // A statement that does not compile: where, as Python says it.
    const syntax = (await rt.run(">>> def broken(:\n")).statements[0];
    assert.match(syntax.whole, /^ {2}File "<doctest snippet\[0\]>", line 1\n {4}def broken\(:\n/);
    // A script without prompts: nothing to compare.
    assert.deepEqual((await rt.run("print(1)\n")).statements, [
      { source: "print(1)\n", want: null, matches: null, diff: null, whole: null },
    ]);
  });

  // What a run changes, the next run does not see: as on a server, where each
  // snippet has a process of its own. Each change below leaked before.
  const leaks = [
    {
      what: "an environment variable (DJANGO_ALLOW_ASYNC_UNSAFE)",
      change: ">>> import os\n>>> os.environ['DJANGO_ALLOW_ASYNC_UNSAFE'] = 'true'\n",
      check:
        ">>> import asyncio\n>>> from polls.models import Question\n" +
        ">>> async def count():\n...     return Question.objects.count()\n>>> asyncio.run(count())\n",
      fresh: SYNC_ONLY,
    },
    {
      what: "a setting",
      change:
        ">>> from django.conf import settings\n>>> settings.DEBUG = 'changed'\n>>> settings.DEBUG\n",
      check: ">>> from django.conf import settings\n>>> settings.DEBUG\n",
      fresh: "True\n",
    },
    {
      what: "a setting changed in place, and a cache that follows it (setting_changed)",
      change:
        ">>> from django.conf import settings\n>>> settings.ALLOWED_HOSTS.append('evil.example')\n" +
        ">>> settings.TIME_ZONE = 'Europe/Paris'\n>>> from django.utils import timezone\n" +
        ">>> str(timezone.get_default_timezone())\n",
      check:
        ">>> from django.conf import settings\n>>> 'evil.example' in settings.ALLOWED_HOSTS\n" +
        ">>> from django.utils import timezone\n>>> str(timezone.get_default_timezone())\n",
      fresh: "False\n'UTC'\n",
    },
    {
      what: "an attribute set on a project class",
      change:
        ">>> from polls.models import Question\n>>> Question.flag = 'set'\n>>> Question.flag\n",
      check: ">>> from polls.models import Question\n>>> hasattr(Question, 'flag')\n",
      fresh: "False\n",
    },
    {
      what: "a name replaced in a project module",
      change: ">>> import polls.views\n>>> polls.views.index = None\n",
      check: ">>> import polls.views\n>>> callable(polls.views.index)\n",
      fresh: "True\n",
    },
    {
      what: "logging configuration",
      change:
        ">>> import logging\n>>> logging.getLogger('polls').setLevel(logging.CRITICAL)\n" +
        ">>> logging.disable(logging.ERROR)\n",
      check:
        ">>> import logging\n>>> logging.getLogger('polls').getEffectiveLevel() < logging.CRITICAL\n" +
        ">>> logging.root.manager.disable\n",
      fresh: "True\n0\n",
    },
    {
      what: "sys.path",
      change: ">>> import sys\n>>> sys.path.insert(0, '/nowhere')\n",
      check: ">>> import sys\n>>> '/nowhere' in sys.path\n",
      fresh: "False\n",
    },
  ];
  for (const { what, change, check, fresh } of leaks) {
    test(`a run's change does not reach the next run: ${what}`, async () => {
      assert.equal((await rt.run(check)).output, fresh, "before the change");
      const changed = await rt.run(change);
      assert.doesNotMatch(changed.output, /Traceback/, changed.output);
      assert.equal((await rt.run(check)).output, fresh, "after the change");
    });
  }

  test("a task's exception retrieved later is not reported as unhandled (as in CPython)", async () => {
    const r = await rt.run(
      [
        ">>> import asyncio",
        ">>> async def fails():",
        "...     raise ValueError('seen by the awaiter')",
        ">>> async def main():",
        "...     task = asyncio.ensure_future(fails())",
        "...     await asyncio.sleep(0.01)  # the task ends before anyone awaits it",
        "...     try:",
        "...         await task",
        "...     except ValueError as exc:",
        "...         return str(exc)",
        ">>> await main()",
      ].join("\n"),
    );
    assert.equal(r.output, "'seen by the awaiter'\n");
    assert.equal(r.stderr, "");
  });

  // A snippet with its own environment or `setup = false` runs in a fresh
  // interpreter, restored from the snapshot taken at boot (Django's framework
  // imported, no settings read), as the server runs it in a process of its own.
  const SETTINGS_STATE =
    ">>> import os, sys\n>>> os.environ.get('DJANGO_SETTINGS_MODULE')\n" +
    ">>> from django.conf import settings\n>>> settings.configured\n" +
    ">>> 'polls.models' in sys.modules, 'mysite.settings' in sys.modules\n" +
    // what django.setup() imports without settings, as the fork server has (preload.py)
    ">>> 'django.contrib.admin.options' in sys.modules\n";

  test("a fresh run starts where a server's snippet process starts: Django imported, no settings", async () => {
    await rt.run(
      ">>> from django.conf import settings\n>>> settings.DEBUG = 'leak'\n>>> import os\n>>> os.environ['LEAK'] = '1'\n",
    );
    const r = await rt.run(`${SETTINGS_STATE}>>> os.environ.get('LEAK')\n`, { setup: false });
    assert.equal(r.output, "'mysite.settings'\nFalse\n(False, False)\nTrue\n");
    assert.equal(r.versions.django, "6.1.3");
    assert.equal(typeof r.fresh.restoreMs, "number");
  });

  test("a fresh run gets its own environment, and nothing of it reaches the warm runs", async () => {
    const fresh = {
      env: {
        DJANGO_SETTINGS_MODULE: "mysite.settings_production",
        DJANGO_SECRET_KEY: `k${"x".repeat(60)}`,
        DJANGO_ALLOWED_HOSTS: "example.com",
      },
      setup: true,
    };
    assert.equal(
      await outputOf(
        rt,
        ">>> from django.conf import settings\n>>> settings.SETTINGS_MODULE, settings.DEBUG, settings.ALLOWED_HOSTS\n",
        fresh,
      ),
      "('mysite.settings_production', False, ['example.com'])\n",
    );
    assert.equal(
      await outputOf(rt, SETTINGS_STATE, { unset: ["DJANGO_SETTINGS_MODULE"], setup: false }),
      "False\n(False, False)\nTrue\n",
    );
    assert.equal(
      await outputOf(
        rt,
        ">>> from django.conf import settings\n>>> settings.SETTINGS_MODULE, settings.DEBUG\n>>> import os\n>>> os.environ.get('LEAK')\n",
      ),
      "('mysite.settings', True)\n",
    );
  });

  test("a fresh run's changes do not reach the next fresh run (each interpreter is used once)", async () => {
    assert.equal(
      await outputOf(
        rt,
        ">>> import sys, os\n>>> sys.leak = 1\n>>> os.environ['LEAK'] = '1'\n>>> from polls.models import Question\n>>> _ = Question.objects.all().delete()\n>>> Question.objects.count()\n",
        {},
      ),
      "0\n",
    );
    assert.equal(
      await outputOf(
        rt,
        ">>> import sys, os\n>>> hasattr(sys, 'leak'), os.environ.get('LEAK')\n>>> from polls.models import Question\n>>> Question.objects.count()\n",
        {},
      ),
      "(False, None)\n3\n",
    );
  });

  test("not enough memory for a fresh interpreter: a clear error, and the warm runtime still runs", async () => {
    const grow = WebAssembly.Memory.prototype.grow;
    WebAssembly.Memory.prototype.grow = () => {
      throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded");
    };
    try {
      await assert.rejects(
        rt.run(">>> 1\n", {}),
        /Not enough memory for a fresh Python interpreter/,
      );
    } finally {
      WebAssembly.Memory.prototype.grow = grow;
    }
    assert.equal((await rt.run(">>> 6 * 7\n")).output, "42\n");
    assert.equal((await rt.run(">>> 6 * 7\n", {})).output, "42\n");
  });

  test("a syntax error shows a traceback, and the next run works", async () => {
    const bad = await rt.run(">>> def f(:\n>>> 1 + 1\n");
    assert.equal(
      bad.output,
      "Traceback (most recent call last):\n  ...\nSyntaxError: invalid syntax\n2\n",
    );
    assert.equal(await outputOf(rt, ">>> 2 + 2\n"), "4\n");
  });

  test("a plain script (no prompts) runs as a module", async () => {
    assert.equal(
      await outputOf(rt, "import os\nprint(os.getcwd())\n1 + 1\n"),
      "/home/pyodide/mysite\n",
    );
  });

  test("output is truncated at 200 kB", async () => {
    const r = await rt.run(">>> for i in range(50_000): print('x' * 9)\n");
    assert.equal(r.truncated, true);
    assert.ok(r.output.endsWith("\n[output truncated at 200 kB]\n"));
    assert.ok(Buffer.byteLength(r.output) <= 200_000 + 40);
  });

  test("stderr is returned separately", async () => {
    const r = await rt.run(">>> import sys\n>>> print('oops', file=sys.stderr)\n>>> 'out'\n");
    assert.equal(r.output, "'out'\n");
    assert.equal(r.stderr, "oops\n");
  });

  test("the command checker reads a server command with the guide's own module", async () => {
    const r = await rt.check("python -m uvicorn mysite.asgi:application --reload --workers 2");
    assert.equal(r.server, "uvicorn");
    assert.equal(r.findings[0].kind, "reload-ignores-workers");
    assert.equal(r.findings[0].page, "servers/uvicorn/#development-reload");
    const bad = await rt.check("uvicorn 'a");
    assert.match(bad.error, /^The quotes or backslashes do not balance/);
  });

  test("ASGI request: GET /polls/ through mysite.asgi", async () => {
    const r = await rt.request({ path: "/polls/" });
    assert.equal(r.status, 200);
    assert.ok(
      r.headers.some(([k, v]) => k.toLowerCase() === "content-type" && v === "application/json"),
    );
    const data = JSON.parse(r.body);
    assert.equal(data.count, 3);
    assert.deepEqual(
      r.messages.map((m) => m.type),
      ["http.response.start", "http.response.body"],
    );
    assert.equal(r.messages[1].body, r.body);
    assert.ok(!r.headers.some(([k]) => k === "server-timing"));
  });

  test("ASGI request: mysite.asgi_wrapped adds Server-Timing", async () => {
    const r = await rt.request({
      path: "/polls/async/",
      application: "mysite.asgi_wrapped:application",
    });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).count, 3);
    const timing = r.headers.find(([k]) => k === "server-timing");
    assert.ok(timing, JSON.stringify(r.headers));
    assert.match(timing[1], /^app;dur=\d+\.\d$/);
  });

  test("ASGI request: the async view that calls the sync ORM answers 500", async () => {
    const r = await rt.request({ path: "/polls/unsafe/", headers: [["accept", "text/plain"]] });
    assert.equal(r.status, 500);
    assert.match(r.body, /SynchronousOnlyOperation/);
  });

  test("ASGI request: streaming view, query string, static file", async () => {
    const stream = await rt.request({ path: "/polls/stream/?count=3&interval=0" });
    assert.equal(stream.status, 200);
    assert.equal(stream.body.match(/event: tick/g).length, 3);
    const css = await rt.request({ path: "/static/polls/style.css" });
    assert.equal(css.status, 200);
    const blocking = await rt.request({ path: "/polls/blocking/" });
    assert.deepEqual(JSON.parse(blocking.body), { questions: 3 });
  });

  test("zeroFreeMemory zeroes free memory only: same size, Python's state intact", async () => {
    // Last in this block: the interpreter it zeroes is the one every test above used.
    const heap = () => rt.pyodide._module.HEAPU8;
    const zeroPages = () => {
      let pages = 0;
      for (let page = 0; page < heap().length; page += 4096) {
        if (
          heap()
            .subarray(page, page + 4096)
            .every((byte) => byte === 0)
        )
          pages += 1;
      }
      return pages;
    };
    await rt.run(">>> kept = {i: str(i) * 50 for i in range(20_000)}\n>>> del kept\n");
    const size = heap().length;
    const before = zeroPages();
    const zeroed = zeroFreeMemory(rt.pyodide);
    assert.equal(heap().length, size, "memory did not grow");
    assert.ok(zeroed > 1_000_000, `${zeroed} bytes zeroed`);
    assert.ok(zeroPages() > before, `${before} zero pages before, ${zeroPages()} after`);
    assert.equal((await rt.run(">>> sum(range(10))\n")).output, "45\n");
    const r = await rt.request({ path: "/polls/" });
    assert.equal(JSON.parse(r.body).count, 3);
  });
});
