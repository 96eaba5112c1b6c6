// Build step that needs the runtime's own interpreter: Pyodide (CPython 3.14) under Node.
//
//   node browser/tools/pyodide_step.mjs STAGE/step.json   (called by python -m guide.browser_build.build)
//
// 1. Migrates the example database and loads the sample questions, with the
//    exact Django and SQLite that run in the browser (so the prebuilt
//    db.sqlite3 matches the runtime, and no Python 3.14 is needed on the host).
// 2. If spec.compile: compiles every wheel to .pyc only (as pyodide-build's
//    py-compile does, tag cp314) and adds unchecked-hash __pycache__/*.pyc next
//    to the example project's sources. The host has no CPython 3.14, so this
//    is done here, by the interpreter that will load the files.
// The wheels and zips are written by src/guide/browser_build/wheels.py, the build's own
// wheel writer (spec.wheelsModule): this script copies that file into
// Pyodide's site-packages as guide/wheels.py and imports it, so the host and
// Pyodide share one implementation.
// Prints one JSON line: {wheels: [paths], project: path, timings: {...}}.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { loadPyodide } = await import(path.join(here, "../../node_modules/pyodide/pyodide.mjs"));
const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));

const t0 = performance.now();
const py = await loadPyodide({ stdout: (s) => console.error(s), stderr: (s) => console.error(s) });
const site = py.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
// guide/wheels.py, importable as in the host's editable install (the package's
// __init__ is only a docstring, so an empty one stands in for it).
py.FS.mkdirTree(`${site}/guide`);
py.FS.writeFile(`${site}/guide/__init__.py`, "");
py.FS.writeFile(`${site}/guide/wheels.py`, fs.readFileSync(spec.wheelsModule));
py.FS.mkdirTree("/build/in");
py.FS.mkdirTree("/build/out");
for (const wheel of spec.wheels) {
  py.FS.writeFile(`/build/in/${path.basename(wheel)}`, fs.readFileSync(wheel));
}
py.FS.writeFile("/build/project-src.zip", fs.readFileSync(spec.project));
// Other Django releases: compiled only, never installed here.
py.FS.mkdirTree("/build/extra");
for (const wheel of spec.extra ?? []) {
  py.FS.writeFile(`/build/extra/${path.basename(wheel)}`, fs.readFileSync(wheel));
}

let pythonResult;
try {
  pythonResult = await py.runPythonAsync(`
import json, os, shutil, sys, time
from pathlib import Path

from guide.wheels import add_unchecked_pycs, compile_wheel, read_zip, write_zip

SITE, PROJECT_DIR, COMPILE = ${JSON.stringify(site)}, ${JSON.stringify(spec.projectDir)}, ${spec.compile ? "True" : "False"}
timings = {}

# 1. install the (source) wheels and the project, migrate, load the fixture
t = time.perf_counter()
for wheel in sorted(os.listdir("/build/in")):
    shutil.unpack_archive(f"/build/in/{wheel}", SITE, "zip")
shutil.unpack_archive("/build/project-src.zip", PROJECT_DIR, "zip")
sys.path.insert(0, PROJECT_DIR)
os.chdir(PROJECT_DIR)
os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
import django
import browser_runtime  # runPythonAsync code runs in a task: the sync ORM needs the patches
browser_runtime.install()
django.setup()
from django.core.management import call_command
timings["install_and_setup_ms"] = round((time.perf_counter() - t) * 1000)
t = time.perf_counter()
call_command("migrate", verbosity=0, interactive=False)
timings["migrate_ms"] = round((time.perf_counter() - t) * 1000)
t = time.perf_counter()
call_command("loaddata", "sample_questions", "sample_choices", verbosity=0)
timings["loaddata_ms"] = round((time.perf_counter() - t) * 1000)
from polls.models import Question
assert Question.objects.count() == 3, Question.objects.count()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("VACUUM")
connection.close()
db = Path(PROJECT_DIR, "db.sqlite3").read_bytes()

# 2. compile
t = time.perf_counter()
def shipped(folder):
    """The wheels of folder, compiled (or copied) to /build/out: their paths."""
    paths = []
    for wheel in sorted(os.listdir(folder)):
        if COMPILE:
            paths.append(str(compile_wheel(f"{folder}/{wheel}", "/build/out", SITE)))
        else:
            shutil.copy(f"{folder}/{wheel}", "/build/out/")
            paths.append(f"/build/out/{wheel}")
    return paths
wheels = shipped("/build/in")
extra = shipped("/build/extra")
project = read_zip("/build/project-src.zip")
project["db.sqlite3"] = db
if COMPILE:
    # Keep the sources (readers see them in tracebacks); add pycs that are never
    # checked against the sources' mtimes (unpacking resets them).
    add_unchecked_pycs(project, PROJECT_DIR)
write_zip("/build/out/mysite-project.zip", project)
timings["compile_ms"] = round((time.perf_counter() - t) * 1000)
json.dumps({"wheels": wheels, "extra": extra, "project": "/build/out/mysite-project.zip", "timings": timings,
            "django": django.get_version(), "python": sys.version.split()[0]})
`);
} catch (error) {
  // Only the Python traceback: Node would print the (minified, huge) JS source line.
  console.error(error.message);
  process.exit(1);
}
const report = JSON.parse(pythonResult);

const outDir = path.join(spec.stage, "final");
fs.mkdirSync(outDir, { recursive: true });
const copyOut = (p) => {
  const dest = path.join(outDir, path.basename(p));
  fs.writeFileSync(dest, py.FS.readFile(p));
  return dest;
};
report.wheels = report.wheels.map(copyOut);
report.extra = report.extra.map(copyOut);
report.project = copyOut(report.project);
report.timings.total_ms = Math.round(performance.now() - t0);
console.log(JSON.stringify(report));
