"""greentune.integrations: the Hugging Face and Lightning callbacks under `greentune study`
(the examples as documented, and non-finite losses), outside a study, and without their
framework. Needs torch, transformers, accelerate and lightning (ctest runs this file with
the torch2 venv, scripts/install-torch2.sh); elsewhere the framework tests are skipped,
unless GREENTUNE_REQUIRE_INTEGRATIONS=1 makes a missing framework a failure."""

import importlib.util
import math
import os
import subprocess
import sys
import textwrap

import pytest

import greentune
from conftest import SOURCE_DIR, child_env, run_cli, write_study

REQUIRED = os.environ.get("GREENTUNE_REQUIRE_INTEGRATIONS") == "1"


def need(*modules):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        if REQUIRED:
            pytest.fail(f"{sys.executable} lacks {', '.join(missing)} (GREENTUNE_REQUIRE_INTEGRATIONS=1)")
        pytest.skip(f"{sys.executable} lacks {', '.join(missing)}")


def study_env():
    """The child runs use this interpreter as `python` (the examples' commands)."""
    env = child_env()
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["OMP_NUM_THREADS"] = "1"
    return env


def check_example_study(tmp_path, example, metric):
    out = tmp_path / "out"
    r = run_cli(["study", os.path.join(SOURCE_DIR, "examples", example, "study.toml"), "-o", str(out),
                 "--progress", "log"], env=study_env())
    assert r.returncode == 0, r.stderr[-3000:]
    runs = greentune.load_runs(out / "study.db")
    assert len(runs) == 2 and (runs["status"] == "succeeded").all(), runs[["status", "status_reason"]]
    reports = greentune.load_reports(out / "study.db")
    assert len(reports) == 4  # 2 epochs per run
    for run_id, entries in reports.groupby("run_id"):
        run = runs[runs["run_id"] == run_id].iloc[0]
        assert entries["epoch"].tolist() == [1, 2]
        assert (entries["metric_name"] == metric).all()
        assert entries["metric"].between(0, 1).all()
        assert entries["metric"].iloc[-1] == run["performance"]  # the last report is the run's metric
        assert (entries["window"] == ["epoch 1", "epoch 2"]).all()
        assert (entries["window_s"] > 0).all() and (entries["cpu_package_j"] > 0).all()
        # the evaluation at each epoch's end is a window inside the epoch's
        assert (entries["eval_s"] > 0).all() and (entries["eval_s"] < entries["window_s"]).all()
        assert (entries["eval_cpu_package_j"] < entries["cpu_package_j"]).all()
        assert (entries["train_loss"] > 0).all()
    return runs, reports


def test_the_huggingface_example_runs_as_a_study(tmp_path):
    need("torch", "transformers", "accelerate")
    check_example_study(tmp_path, "huggingface", "eval_accuracy")


def test_the_lightning_example_runs_as_a_study(tmp_path):
    need("torch", "lightning")
    check_example_study(tmp_path, "lightning", "val_acc")


# Models whose loss becomes NaN at the 5th training step (of 8 per epoch, in epoch 1).
HF_NAN = '''
import sys, tempfile, torch
from torch import nn
from transformers import Trainer, TrainingArguments
from greentune.integrations.huggingface import GreentuneCallback

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(4, 2)
        self.steps = 0
    def forward(self, x, labels=None):
        logits = self.net(x)
        loss = nn.functional.cross_entropy(logits, labels)
        if self.training:
            self.steps += 1
            if self.steps >= 5:
                loss = loss * float("nan")
        return {"loss": loss, "logits": logits}

class Data(torch.utils.data.Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(n)
        self.x, self.y = torch.randn(n, 4, generator=g), torch.randint(0, 2, (n,), generator=g)
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}

with tempfile.TemporaryDirectory() as out:
    args = TrainingArguments(output_dir=out, num_train_epochs=2, per_device_train_batch_size=8, eval_strategy="epoch",
                             save_strategy="no", report_to="none", disable_tqdm=True, use_cpu=True)
    cb = GreentuneCallback(metric="eval_loss", meter="estimate")
    Trainer(model=Model(), args=args, train_dataset=Data(64), eval_dataset=Data(32), callbacks=[cb]).train()
print("epochs finished:", len(cb.history), "diverged:", cb.diverged, flush=True)
'''

LIGHTNING_NAN = '''
import torch
from torch import nn
import lightning.pytorch as pl
from greentune.integrations.lightning import GreentuneCallback

class Model(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(4, 2)
    def training_step(self, batch, i):
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        return loss * float("nan") if self.global_step >= 4 else loss
    def validation_step(self, batch, i):
        x, y = batch
        self.log("val_loss", nn.functional.cross_entropy(self.net(x), y))
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

g = torch.Generator().manual_seed(1)
data = torch.utils.data.TensorDataset(torch.randn(64, 4, generator=g), torch.randint(0, 2, (64,), generator=g))
cb = GreentuneCallback(metric="val_loss", meter="estimate")
pl.Trainer(max_epochs=2, logger=False, callbacks=[cb], enable_checkpointing=False, enable_progress_bar=False,
           enable_model_summary=False, accelerator="cpu").fit(
    Model(), torch.utils.data.DataLoader(data, batch_size=8), torch.utils.data.DataLoader(data, batch_size=32))
print("epochs finished:", len(cb.history), "diverged:", cb.diverged, flush=True)
'''


def check_diverged_study(tmp_path, script):
    (tmp_path / "model.py").write_text(script)
    write_study(tmp_path, f'''
        name = "diverging"
        seed = 1
        mutants = 1
        repetitions = 1
        meter = "estimate"
        cooldown = 0

        [[models]]
        name = "nan_loss"
        command = "{sys.executable} model.py --lr {{lr}}"
        working_dir = "."
        result = "json-lines"
        metric_key = "metric"
        metric = "loss"
        higher_is_better = false
        operators = []
        [models.hyperparameters]
        lr = 0.1
        ''')
    out = tmp_path / "out"
    r = run_cli(["study", str(tmp_path / "study.toml"), "-o", str(out), "--progress", "log"], env=study_env())
    assert r.returncode == 0, r.stderr[-3000:]
    runs = greentune.load_runs(out / "study.db")
    assert len(runs) == 1 and (runs["status"] == "diverged").all(), runs[["status", "status_reason"]]
    assert runs["status_reason"].str.contains("loss is nan in epoch 1").all(), runs["status_reason"].tolist()
    reports = greentune.load_reports(out / "study.db")
    # training stopped in its first epoch: one entry, the divergence, with the epoch's window
    assert len(reports) == 1
    for _, e in reports.iterrows():
        assert e["status"] == "diverged" and e["epoch"] == 1 and e["window_s"] > 0
    logs = sorted((out / "logs").glob("*.out"))
    assert len(logs) == 1 and "epochs finished: 0 diverged: True" in logs[0].read_text()


def test_huggingface_non_finite_loss_marks_the_run_diverged(tmp_path):
    need("torch", "transformers", "accelerate")
    check_diverged_study(tmp_path, HF_NAN)


def test_lightning_non_finite_loss_marks_the_run_diverged(tmp_path):
    need("torch", "lightning")
    check_diverged_study(tmp_path, LIGHTNING_NAN)


def run_alone(script, tmp_path):
    env = {k: v for k, v in child_env().items() if k != "GREENTUNE_RUN_ID"}
    (tmp_path / "alone.py").write_text(textwrap.dedent(script))
    r = subprocess.run([sys.executable, "alone.py"], capture_output=True, text=True, cwd=str(tmp_path), env=env,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_outside_a_study_the_epochs_energy_goes_to_the_frameworks_log(tmp_path):
    need("torch", "transformers", "accelerate", "lightning")
    hf = HF_NAN.replace("self.steps >= 5", "False").replace('print("epochs', 'print(trainer_log); print("epochs')
    hf = hf.replace("Trainer(model=Model(), args=args", "trainer = Trainer(model=Model(), args=args").replace(
        "callbacks=[cb]).train()", "callbacks=[cb])\n    trainer.train()\n    trainer_log = "
        "[e for e in trainer.state.log_history if 'greentune/epoch_s' in e]")
    r = run_alone(hf, tmp_path)
    assert "epochs finished: 2 diverged: False" in r.stdout
    logged = eval(r.stdout.splitlines()[-2])  # the Trainer's log entries of greentune
    assert [e["epoch"] for e in logged] == [1, 2]
    assert all(e["greentune/epoch_s"] > e["greentune/eval_s"] > 0 and e["greentune/cpu_package_j"] > 0
               for e in logged)
    assert "greentune.report" not in r.stderr  # no report outside a study, not even the notice

    pl = LIGHTNING_NAN.replace("if self.global_step >= 4", "if False").replace(
        "logger=False", "logger=CSVLogger('logs', name='x', version=0)").replace(
        "from greentune", "from lightning.pytorch.loggers import CSVLogger\nfrom greentune")
    r = run_alone(pl, tmp_path)
    assert "epochs finished: 2 diverged: False" in r.stdout
    import csv
    rows = list(csv.DictReader(open(tmp_path / "logs" / "x" / "version_0" / "metrics.csv")))
    energy = [row for row in rows if row.get("greentune/cpu_package_j")]
    assert len(energy) == 2 and all(float(row["greentune/cpu_package_j"]) > 0 for row in energy)
    assert all(float(row["greentune/epoch_s"]) > float(row["greentune/eval_s"]) > 0 for row in energy)


def test_a_missing_framework_says_what_to_install():
    for module, block, hint in (("huggingface", ["transformers"], "pip install transformers accelerate"),
                                ("lightning", ["lightning", "pytorch_lightning"], "pip install lightning")):
        code = (f"import sys\nfor m in {block!r}: sys.modules[m] = None\n"
                f"import greentune.integrations.{module}\n")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), timeout=120)
        assert r.returncode != 0 and "ImportError" in r.stderr and hint in r.stderr, r.stderr[-2000:]
    # importing greentune imports neither framework
    r = subprocess.run([sys.executable, "-c", "import sys, greentune, greentune.integrations\n"
                        "print(sorted(m for m in ('transformers', 'lightning', 'torch') if m in sys.modules))"],
                       capture_output=True, text=True, env=child_env(), timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr


def test_bad_callback_arguments_raise_clear_errors():
    need("torch", "transformers", "accelerate", "lightning")
    from greentune.integrations.huggingface import GreentuneCallback as HF
    from greentune.integrations.lightning import GreentuneCallback as PL
    for cls in (HF, PL):
        with pytest.raises(TypeError, match="metric must be the name"):
            cls(metric=3)
        with pytest.raises(ValueError, match="sample_interval"):
            cls(sample_interval=0)
        with pytest.raises(TypeError, match="meter must be"):
            cls(meter=1)
    from greentune.integrations._epochs import Epochs
    e = Epochs("GreentuneCallback", "eval_accuracy", "estimate", 0.1, None)
    with pytest.raises(ValueError, match="'eval_accuracy' is not among the evaluation's metrics "
                                         r"\(eval_loss, eval_runtime\)"):
        e.metric_of({"eval_loss": 0.5, "eval_runtime": 1.0})
    assert e.metric_of({"eval_loss": 0.5}, required=False) is None
    assert math.isnan(e.metric_of({"eval_accuracy": float("nan")}))
    e.close()
