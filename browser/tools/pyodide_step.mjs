// Build step that needs the runtime's own interpreter: Pyodide (CPython 3.14) under Node.
//
//   node browser/tools/pyodide_step.mjs STAGE/step.json      (called by browser/build.py)
//
// 1. Migrates the example database and loads the sample questions, with the
//    exact Django and SQLite that run in the browser (so the prebuilt
//    db.sqlite3 matches the runtime, and no Python 3.14 is needed on the host).
// 2. If spec.compile: compiles every wheel to .pyc only (as pyodide-build's
//    py-compile does, tag cp314) and adds unchecked-hash __pycache__/*.pyc next
//    to the example project's sources. The host has no CPython 3.14, so this
//    is done here, by the interpreter that will load the files.
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
py.FS.mkdirTree("/build/in");
py.FS.mkdirTree("/build/out");
for (const wheel of spec.wheels) {
  py.FS.writeFile(`/build/in/${path.basename(wheel)}`, fs.readFileSync(wheel));
}
py.FS.writeFile("/build/project-src.zip", fs.readFileSync(spec.project));

let pythonResult;
try {
  pythonResult = await py.runPythonAsync(`
import compileall, hashlib, importlib.util, io, json, os, shutil, sys, time, zipfile, base64, csv
from pathlib import Path

SITE, PROJECT_DIR, COMPILE = ${JSON.stringify(site)}, ${JSON.stringify(spec.projectDir)}, ${spec.compile ? "True" : "False"}
timings = {}

def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

def write_zip(path, files):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in sorted(files, key=lambda n: (n.endswith("RECORD"), ".dist-info/" in n, n)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])

def pyc_only_wheel(src, dest_dir):
    """Like pyodide-build's py-compile: .py -> .pyc (sourceless), RECORD regenerated."""
    with zipfile.ZipFile(src) as z:
        files = {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
    out = {}
    for name, data in files.items():
        if name.endswith(".py") and ".dist-info/" not in name:
            code = compile(data, f"{SITE}/{name}", "exec", dont_inherit=True)
            out[name + "c"] = importlib._bootstrap_external._code_to_timestamp_pyc(code, 0, len(data))
        else:
            out[name] = data
    record = next(n for n in out if n.endswith(".dist-info/RECORD"))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\\n")
    w.writerows([n, record_hash(d), len(d)] for n, d in out.items() if n != record)
    w.writerow([record, "", ""])
    out[record] = buf.getvalue().encode()
    tag = "cp" + "".join(map(str, sys.version_info[:2]))
    for n in out:
        if n.endswith(".dist-info/WHEEL"):
            lines = [l for l in out[n].decode().splitlines() if not l.startswith("Tag: ")]
            out[n] = "\\n".join([*lines, f"Tag: {tag}-none-any", ""]).encode()
    name = "-".join(Path(src).name.split("-")[:2] + [tag, "none", "any.whl"])
    write_zip(f"{dest_dir}/{name}", out)
    return f"{dest_dir}/{name}"

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
call_command("loaddata", "sample_questions", verbosity=0)
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
wheels = []
for wheel in sorted(os.listdir("/build/in")):
    if COMPILE:
        wheels.append(pyc_only_wheel(f"/build/in/{wheel}", "/build/out"))
    else:
        shutil.copy(f"/build/in/{wheel}", "/build/out/")
        wheels.append(f"/build/out/{wheel}")
with zipfile.ZipFile("/build/project-src.zip") as z:
    project = {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
project["db.sqlite3"] = db
if COMPILE:
    # Keep the sources (readers see them in tracebacks); add pycs that are never
    # checked against the sources' mtimes (unpacking resets them).
    tag = sys.implementation.cache_tag
    for name, data in list(project.items()):
        if name.endswith(".py"):
            code = compile(data, f"{PROJECT_DIR}/{name}", "exec", dont_inherit=True)
            folder, _, base = name.rpartition("/")
            pyc = (folder + "/" if folder else "") + f"__pycache__/{base[:-3]}.{tag}.pyc"
            project[pyc] = importlib._bootstrap_external._code_to_hash_pyc(
                code, importlib.util.source_hash(data), checked=False)
write_zip("/build/out/mysite-project.zip", project)
timings["compile_ms"] = round((time.perf_counter() - t) * 1000)
json.dumps({"wheels": wheels, "project": "/build/out/mysite-project.zip", "timings": timings,
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
report.project = copyOut(report.project);
report.timings.total_ms = Math.round(performance.now() - t0);
console.log(JSON.stringify(report));
