#include "greentune/study/plan.hpp"

#include <cmath>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/format.hpp"

namespace greentune::study {

namespace {

struct TaskProto {
  const ModelDefinition* model;
  const ScenarioDefinition* scenario;
  long long configuration_id;
  std::string op;
  std::vector<long long> repetitions;
};

}  // namespace

Plan make_plan(const StudyDefinition& study) {
  Plan plan;
  std::map<std::string, std::vector<long long>> configs_of_model;
  for (const ModelDefinition& m : study.models) {
    PlannedConfiguration original;
    original.id = static_cast<long long>(plan.configurations.size()) + 1;
    original.model = m.name;
    original.hp = m.defaults;
    plan.configurations.push_back(original);
    configs_of_model[m.name].push_back(original.id);
    for (const OperatorDefinition& op : m.operators) {
      std::vector<double> values = op.values;
      if (values.empty() && op.mutants > 0) {
        mutation::Rng rng(mutation::derive_seed(study.seed, m.name, op.hyperparameter));
        try {
          values = mutation::mutate(op.rule, m.defaults.at(op.hyperparameter), op.mutants, rng, op.options,
                                    m.find(op.hyperparameter));
        } catch (const Error& e) {
          throw input_error(study.source + ": model '" + m.name + "': " + e.what());
        }
      }
      int index = 0;
      for (double v : values) {
        PlannedConfiguration c;
        c.id = static_cast<long long>(plan.configurations.size()) + 1;
        c.model = m.name;
        c.op = op.hyperparameter;
        c.mutant = ++index;
        c.hp = m.defaults;
        c.hp[op.hyperparameter] = v;
        plan.configurations.push_back(c);
        configs_of_model[m.name].push_back(c.id);
      }
    }
  }

  std::vector<TaskProto> protos;
  for (const ModelDefinition& m : study.models) {
    for (const ScenarioDefinition& sc : study.scenarios) {
      for (long long cid : configs_of_model[m.name]) {
        const PlannedConfiguration& c = plan.configurations[static_cast<size_t>(cid - 1)];
        int k = sc.kind == ScenarioKind::symmetric ? sc.jobs : 1;
        for (long long r = 1; r <= study.repetitions; r += k) {
          TaskProto t{&m, &sc, cid, c.op, {}};
          for (int j = 0; j < k; ++j) t.repetitions.push_back(r + j);
          protos.push_back(t);
        }
      }
    }
  }
  if (study.order == "interleaved") {
    mutation::Rng rng(mutation::derive_seed(study.seed, "order"));
    for (size_t i = protos.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(rng.below(i));
      std::swap(protos[i - 1], protos[j]);
    }
  }
  for (const TaskProto& p : protos) {
    PlannedTask t;
    t.id = static_cast<long long>(plan.tasks.size()) + 1;
    t.scenario = p.scenario->scenario();
    t.corunner = p.scenario->corunner_label();
    t.scenario_kind = p.scenario->kind;
    t.corunner_model = p.scenario->kind == ScenarioKind::parallel ? p.scenario->corunner : "";
    t.jobs = static_cast<int>(p.repetitions.size());
    int job = 0;
    for (long long rep : p.repetitions) {
      PlannedRun r;
      r.id = static_cast<long long>(plan.runs.size()) + 1;
      r.task_id = t.id;
      r.job = ++job;
      r.configuration_id = p.configuration_id;
      r.model = p.model->name;
      r.scenario = t.scenario;
      r.corunner = t.corunner;
      r.op = p.op;
      r.repetition = rep;
      plan.runs.push_back(r);
      t.run_ids.push_back(r.id);
    }
    plan.tasks.push_back(t);
  }
  return plan;
}

static double run_estimate(const StudyDefinition& study, const PlannedRun& r, const Plan& plan) {
  const ModelDefinition* m = study.find_model(r.model);
  if (!m || m->estimate_s <= 0) return 0;
  const Configuration& hp = plan.configurations[static_cast<size_t>(r.configuration_id - 1)].hp;
  double scale = 1;
  auto e = hp.find("epochs");
  auto d = m->defaults.find("epochs");
  if (e != hp.end() && d != m->defaults.end() && d->second > 0) scale = e->second / d->second;
  return m->estimate_s * scale;
}

double estimate_plan_seconds(const StudyDefinition& study, const Plan& plan) {
  double total = 0;
  bool any = false;
  for (const PlannedTask& t : plan.tasks) {
    double task_s = 0;
    for (long long id : t.run_ids) {
      double e = run_estimate(study, plan.runs[static_cast<size_t>(id - 1)], plan);
      any = any || e > 0;
      task_s = std::max(task_s, e);
    }
    total += task_s;
  }
  if (!any) return 0;
  if (plan.tasks.size() > 1) {
    double per = study.cooldown.mode == CooldownMode::fixed ? study.cooldown.seconds : std::min(study.cooldown.max_s, 10.0);
    total += per * static_cast<double>(plan.tasks.size() - 1);
  }
  if (study.cooldown.mode == CooldownMode::until_idle) total += study.cooldown.baseline_s;
  return total;
}

std::string describe_plan(const StudyDefinition& study, const Plan& plan) {
  std::ostringstream o;
  o << "study '" << study.name << "' (" << study.source << ")\n";
  for (const ModelDefinition& m : study.models) {
    o << "model " << m.name << " (" << (m.is_builtin() ? "built-in" : "external: " + m.command) << "; metric "
      << m.metric << (m.higher_is_better ? ", higher is better" : ", lower is better") << ")\n";
    o << "  original: " << format_configuration(m.defaults) << "\n";
    for (const OperatorDefinition& op : m.operators) {
      o << "  " << op.hyperparameter;
      if (op.rule != op.hyperparameter) o << " (rule " << op.rule << ")";
      o << " [" << (op.values.empty() ? mutation::describe_operator(op.rule) : "given values") << "]:";
      for (const PlannedConfiguration& c : plan.configurations)
        if (c.model == m.name && c.op == op.hyperparameter) o << " " << format_exact(c.hp.at(op.hyperparameter));
      o << "\n";
    }
  }
  o << "scenarios:";
  for (const ScenarioDefinition& sc : study.scenarios) {
    if (sc.kind == ScenarioKind::single) o << " single;";
    else if (sc.kind == ScenarioKind::parallel) o << " parallel beside " << sc.corunner << " (at its defaults, restarted until the run ends);";
    else o << " symmetric, " << sc.jobs << " jobs at once;";
  }
  o << "\n";
  o << plan.configurations.size() << " configurations x " << study.repetitions << " repetitions -> "
    << plan.runs.size() << " runs in " << plan.tasks.size() << " tasks, order " << study.order << " (seed "
    << study.seed << ")\n";
  o << "meter " << study.meter << "; cool-down ";
  if (study.cooldown.mode == CooldownMode::fixed) o << format_exact(study.cooldown.seconds) << " s after every task";
  else o << "until idle (within " << format_exact(study.cooldown.tolerance * 100) << "% of the idle baseline, at most "
         << format_exact(study.cooldown.max_s) << " s)";
  o << "; run timeout " << (study.run_timeout_s > 0 ? format_exact(study.run_timeout_s) + " s" : "none")
    << "; governor " << study.governor << "\n";
  double est = estimate_plan_seconds(study, plan);
  if (est > 0) {
    o << "estimated duration: " << format_duration(est);
    bool all = true;
    for (const auto& m : study.models) all = all && m.estimate_s > 0;
    if (!all) o << " (models without estimate_s not counted)";
    o << "\n";
  } else {
    o << "estimated duration: unknown (give estimate_s, the seconds of one run at the defaults, per model)\n";
  }
  // Energy: each run's estimated seconds times its model's estimate_w (cool-downs not counted).
  double joules = 0;
  bool all_w = true;
  for (const PlannedRun& r : plan.runs) {
    const ModelDefinition* m = study.find_model(r.model);
    if (!m || m->estimate_w <= 0) {
      all_w = false;
      continue;
    }
    joules += run_estimate(study, r, plan) * m->estimate_w;
  }
  if (joules > 0)
    o << "estimated energy: " << format_energy(joules)
      << (joules >= 3.6e5 ? " (" + format_exact(std::round(joules / 3.6e5) / 10) + " kWh)" : std::string())
      << " for the runs, from estimate_w; cool-downs not counted"
      << (all_w ? "" : "; models without estimate_w not counted") << "\n";
  return o.str();
}

}  // namespace greentune::study
