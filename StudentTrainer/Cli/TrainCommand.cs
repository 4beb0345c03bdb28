using System.CommandLine;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Training;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// <c>train</c>: distils a student from a teacher served by TeacherServer (started here when no URL is given), on corpus
/// windows or, with <c>--tasks</c>, on prompt → response pairs in one of the modes of <see cref="TrainMode"/>.
/// </summary>
public static class TrainCommand
{
    public static Command Create() => Build("train",
        "Distil a student from a served teacher (on corpus windows, or on prompt → response pairs with --tasks / --mode), evaluate it beside a cross-entropy baseline, export it",
        [], (job, _, cancellation) => TrainJob.RunAsync(job, cancellation));

    /// <summary>A command taking every option of <c>train</c> (and <paramref name="extra"/> ones) that runs <paramref name="run"/> on the job they describe.</summary>
    public static Command Build(string name, string description, IEnumerable<Option> extra,
        Func<TrainJobSettings, ParseResult, CancellationToken, Task<int>> run)
    {
        var defaults = new DistillOptions { Student = Gpt2Config.Student };
        var pairDefaults = new PairDistillOptions { Distill = defaults };
        var miniLlmDefaults = new MiniLlmTrainerOptions { Student = Gpt2Config.Student };
        var heldOutDefaults = new TrainJobSettings { Options = defaults };
        const string DefaultTasks = "data/tasks";
        var teacher = new TeacherCliOptions();
        Option<string?> student = new("--student")
        {
            Description = "Student: a Hugging Face model folder (config.json with model_type gpt2, llama, mistral, qwen2 or qwen3, and "
                          + "model.safetensors or sharded safetensors; without weights it starts from random ones), a config.json, "
                          + $"the presets student or teacher, or this project's model.json form. Default: the --init folder's model, else {StudentChoice.DefaultStudent}",
        };
        Option<string?> init = new("--init") { Description = "Start from this model folder's weights (a Hugging Face folder, a checkpoint of a run, e.g. a pretrained student) instead of random ones" };
        Option<string?> tokenizer = new("--tokenizer") { Description = $"Tokenizer folder of the student; must match the teacher's (fingerprint and vocabulary size). Default: the student's folder when it holds tokenizer files, else {StudentChoice.DefaultTokenizer}" };
        Option<string?> output = new("--out") { Description = "Run folder (default runs/train-<time>): checkpoints, metrics.jsonl, plots, summary.json, exported student" };
        Option<string?> resume = new("--resume") { Description = "Continue the run in this folder exactly from its latest checkpoint (its options are used)" };
        Option<int> steps = new("--steps") { Description = "Optimiser steps (of one epoch, with --epochs)", DefaultValueFactory = _ => defaults.Steps };
        Option<int> epochs = new("--epochs") { Description = "Corpus runs: passes over the batches of --steps steps; every pass after the first trains on the same windows in a new order (so a --teacher-cache of --steps steps serves them all); the run takes epochs × steps steps", DefaultValueFactory = _ => 1 };
        Option<int> batch = new("--batch-size") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => defaults.BatchSize };
        Option<int> accumulation = new("--grad-accum") { Description = "Micro-batches per optimiser step", DefaultValueFactory = _ => defaults.GradientAccumulation };
        Option<string> mode = new("--mode")
        {
            Description = "Where the training sequences come from: offpolicy (gold text; KD), seqkd (teacher-generated responses; SeqKD), "
                          + "onpolicy (student samples with probability --student-fraction, else gold; GKD), distillm (adaptive student samples "
                          + "with a replay buffer; DistiLLM), minillm (policy gradient on teacher-mixed student samples + an LM loss on --data; MiniLLM). All but offpolicy train on --tasks",
            DefaultValueFactory = _ => TrainModeNames.ToName(TrainMode.OffPolicy),
        };
        Option<string?> tasks = new("--tasks") { Description = $"Task folder (train, validation and test as .jsonl, fields prompt and response or completion, or as .parquet with those columns; make-tasks writes one): train on prompt → response pairs, the loss on the responses only, instead of corpus windows, and evaluate on test.jsonl's held-out pairs. Default {DefaultTasks} when --mode is not offpolicy" };
        Option<double> studentFraction = new("--student-fraction") { Description = $"onpolicy: GKD's λ, the probability that a batch is sampled from the student (TRL's GKDConfig lmbda default {PairDistillOptions.DefaultStudentFraction})", DefaultValueFactory = _ => pairDefaults.StudentFraction };
        Option<int> replayCapacity = new("--replay-capacity")
        {
            Description = $"distillm: samples the replay buffer holds (DistiLLM's --capacity {ReplayBuffer<Data.TokenizedPair>.DefaultCapacity}). "
                          + "Its runs last thousands of steps; in a few hundred the buffer may never fill, and replay starts only once it is full: lower it to see replay in a short run",
            DefaultValueFactory = _ => pairDefaults.ReplayCapacity,
        };
        Option<string> replayRatio = new("--replay-ratio") { Description = "distillm: how the share of fresh samples s follows the threshold τ over training: decreasing (τ·(1 − step/total), DistiLLM's default), constant (τ/2) or increasing (τ·step/total)", DefaultValueFactory = _ => EnumNames<ReplayRatio>.ToName(pairDefaults.Distillm.ReplayRatio) };
        Option<double> initThreshold = new("--init-threshold") { Description = "distillm: the threshold τ (probability of student samples, fresh or replayed) at the start (DistiLLM's --init-threshold)", DefaultValueFactory = _ => pairDefaults.Distillm.InitThreshold };
        Option<double> lossEpsilon = new("--loss-eps") { Description = "distillm: τ rises by 0.1 at an evaluation whose validation loss is at least this much above the reference (DistiLLM's --loss-eps)", DefaultValueFactory = _ => pairDefaults.Distillm.LossEpsilon };
        Option<int> sequenceLength = new("--seq-len") { Description = "Tokens per training sequence (≤ the student's context); with --tasks, the most tokens of prompt + response (a longer pair loses the start of its prompt)", DefaultValueFactory = _ => defaults.SequenceLength };
        Option<double?> learningRate = new("--lr") { Description = $"Peak learning rate (default {defaults.PeakLearningRate}; minillm {miniLlmDefaults.PeakLearningRate})" };
        Option<double?> minLearningRate = new("--min-lr") { Description = $"Learning rate at the end of the cosine decay (default {defaults.FinalLearningRate}; minillm {miniLlmDefaults.FinalLearningRate})" };
        Option<int?> warmup = new("--warmup") { Description = $"Linear warmup steps (default {defaults.WarmupSteps}; minillm {miniLlmDefaults.WarmupSteps} optimiser updates, --ppo-epochs per step)" };
        Option<double?> weightDecay = new("--weight-decay") { Description = $"AdamW weight decay on matrices (default {defaults.WeightDecay}; minillm {miniLlmDefaults.WeightDecay}, LMOps's)" };
        Option<int> ppoEpochs = new("--ppo-epochs") { Description = $"minillm: optimiser updates per rollout of --batch-size prompts (LMOps's MiniLLM scripts: --ppo-epochs {miniLlmDefaults.PpoEpochs})", DefaultValueFactory = _ => miniLlmDefaults.PpoEpochs };
        Option<double> teacherMix = new("--teacher-mix") { Description = $"minillm: α of the sampling distribution α·p_teacher + (1 − α)·q_student, in [0, 1) (LMOps's --teacher-mixed-alpha {miniLlmDefaults.MiniLlm.TeacherMixAlpha})", DefaultValueFactory = _ => miniLlmDefaults.MiniLlm.TeacherMixAlpha };
        Option<double> lmCoefficient = new("--lm-coef") { Description = $"minillm: weight of the language-modelling loss on --batch-size × --seq-len windows of --data's train split; 0: none (LMOps's --lm-coef {miniLlmDefaults.MiniLlm.LmCoefficient})", DefaultValueFactory = _ => miniLlmDefaults.MiniLlm.LmCoefficient };
        Option<int?> evalPairs = new("--eval-pairs") { Description = "With --tasks: evaluate on the first N pairs of the task folder's test.jsonl (default: all)" };
        Option<int> rougePairs = new("--rouge-pairs") { Description = "With --tasks: the first N held-out pairs are continued greedily for ROUGE-L", DefaultValueFactory = _ => heldOutDefaults.RougePairs };
        Option<double> clip = new("--clip") { Description = "Global gradient-norm clip", DefaultValueFactory = _ => defaults.GradientClip };
        Option<string?> divergence = new("--divergence") { Description = "fkl, rkl, js, tvd, skl, srkl or akl (docs/losses.md defines each over the teacher's top-k + tail). Default fkl; for --mode distillm srkl with --alpha 0.1, the best of the DistiLLM paper" };
        Option<double> lambda = new("--lambda") { Description = "λ in (1 − λ)·CE + λ·divergence; 0 = cross-entropy only", DefaultValueFactory = _ => defaults.Lambda };
        Option<int> topK = new("--k") { Description = "Teacher top-k ids per position", DefaultValueFactory = _ => defaults.TopK };
        Option<double> temperature = new("--temperature") { Description = "τ of teacher and student distributions", DefaultValueFactory = _ => defaults.Temperature };
        Option<double> alpha = new("--alpha") { Description = "Skew α of skl / srkl, in [0, 1)", DefaultValueFactory = _ => defaults.Alpha };
        Option<double> beta = new("--beta") { Description = "β of js (the teacher's weight in the mixture), in (0, 1)", DefaultValueFactory = _ => defaults.Beta };
        Option<double> mu = new("--mu") { Description = "μ of akl's head/tail split, in [0, 1]", DefaultValueFactory = _ => defaults.Mu };
        Option<int> prefetch = new("--prefetch") { Description = "Batches whose teacher answers are requested ahead", DefaultValueFactory = _ => defaults.PrefetchDepth };
        Option<int> evalInterval = new("--eval-interval") { Description = "Evaluate every N steps (and before and after training)", DefaultValueFactory = _ => defaults.EvalInterval };
        Option<int> checkpointInterval = new("--checkpoint-interval") { Description = "Checkpoint every N steps (and at the end, and on Ctrl-C)", DefaultValueFactory = _ => defaults.CheckpointInterval };
        Option<bool> pin = new("--pin-teacher-version") { Description = "Stop if the teacher's version changes mid-run (otherwise logged and counted)" };
        Option<bool> noBaseline = new("--no-baseline") { Description = "Skip the cross-entropy student trained for comparison on the same steps and data" };
        var corpus = new CorpusCliOptions();
        Option<string> device = CliOptions.Device();
        Option<int> threads = CliOptions.Threads();
        Option<int> seed = CliOptions.Seed();

        Option<string?> teacherCache = new("--teacher-cache") { Description = "Folder of the teacher's answers precomputed for this run (precompute writes it): train reads them instead of asking a server" };
        var command = new Command(name, description);
        foreach (Option option in new Option[]
                 {
                     mode, tasks, student, init, tokenizer, output, resume, steps, epochs, batch, accumulation,
                     sequenceLength, learningRate, minLearningRate, warmup, weightDecay, clip, divergence, lambda, topK, temperature,
                     alpha, beta, mu, studentFraction, initThreshold, lossEpsilon, replayCapacity, replayRatio, ppoEpochs, teacherMix, lmCoefficient,
                     prefetch, evalInterval, checkpointInterval, evalPairs, rougePairs, pin, noBaseline, device, threads, seed, teacherCache,
                 }.Concat(corpus.All).Concat(teacher.All).Concat(extra))
            command.Options.Add(option);
        command.SetAction(async (result, cancellation) =>
        {
            TrainMode trainMode = TrainModeNames.Parse(result.GetValue(mode)!);
            string? divergenceName = result.GetValue(divergence);
            (double? peak, double? final, int? warmupSteps, double? decay) =
                (result.GetValue(learningRate), result.GetValue(minLearningRate), result.GetValue(warmup), result.GetValue(weightDecay));
            int epochCount = result.GetValue(epochs);
            if (epochCount < 1) throw new ArgumentException($"--epochs must be ≥ 1, got {epochCount}");
            long totalSteps = (long)result.GetValue(steps) * epochCount;
            if (totalSteps > int.MaxValue) throw new ArgumentException($"--epochs × --steps must be at most {int.MaxValue}, got {totalSteps}");
            DistillOptions distill = defaults with
            {
                Steps = (int)totalSteps,
                EpochSteps = epochCount > 1 ? result.GetValue(steps) : null,
                BatchSize = result.GetValue(batch),
                GradientAccumulation = result.GetValue(accumulation),
                SequenceLength = result.GetValue(sequenceLength),
                PeakLearningRate = peak ?? defaults.PeakLearningRate,
                FinalLearningRate = final ?? defaults.FinalLearningRate,
                WarmupSteps = warmupSteps ?? defaults.WarmupSteps,
                WeightDecay = decay ?? defaults.WeightDecay,
                GradientClip = result.GetValue(clip),
                Seed = result.GetValue(seed),
                Divergence = divergenceName is null ? PairDistillOptions.DefaultDivergence(trainMode) : DivergenceKindNames.Parse(divergenceName),
                Lambda = result.GetValue(lambda),
                TopK = result.GetValue(topK),
                Temperature = result.GetValue(temperature),
                Alpha = result.GetValue(alpha),
                Beta = result.GetValue(beta),
                Mu = result.GetValue(mu),
                PrefetchDepth = result.GetValue(prefetch),
                EvalInterval = result.GetValue(evalInterval),
                CheckpointInterval = result.GetValue(checkpointInterval),
                PinTeacherVersion = result.GetValue(pin),
            };
            var job = new TrainJobSettings
            {
                TeacherUrls = result.GetValue(teacher.Urls) ?? [],
                TeacherModel = result.GetValue(teacher.Model),
                ModelsFolder = result.GetValue(teacher.ModelsFolder)!,
                TeacherThreads = result.GetValue(teacher.Threads),
                TeacherCache = result.GetValue(teacherCache),
                Client = teacher.Client(result),
                Student = result.GetValue(student),
                InitialWeights = result.GetValue(init),
                Tokenizer = result.GetValue(tokenizer),
                RunFolder = result.GetValue(output),
                Resume = result.GetValue(resume),
                DataFolder = corpus.Path(result),
                Corpus = corpus.Options(result),
                Device = result.GetValue(device)!,
                Threads = result.GetValue(threads),
                Baseline = !result.GetValue(noBaseline),
                Mode = trainMode,
                Tasks = result.GetValue(tasks) ?? (trainMode == TrainMode.OffPolicy ? null : DefaultTasks),
                StudentFraction = result.GetValue(studentFraction),
                ReplayCapacity = result.GetValue(replayCapacity),
                Distillm = pairDefaults.Distillm with
                {
                    InitThreshold = result.GetValue(initThreshold),
                    LossEpsilon = result.GetValue(lossEpsilon),
                    ReplayRatio = EnumNames<ReplayRatio>.Parse(result.GetValue(replayRatio)!, "--replay-ratio"),
                },
                EvalPairs = result.GetValue(evalPairs),
                RougePairs = result.GetValue(rougePairs),
                Options = distill,
                MiniLlm = trainMode != TrainMode.MiniLlm ? null : miniLlmDefaults with
                {
                    Steps = distill.Steps,
                    BatchSize = distill.BatchSize,
                    PpoEpochs = result.GetValue(ppoEpochs),
                    TopK = distill.TopK,
                    LmBatchSize = distill.BatchSize,
                    LmSequenceLength = distill.SequenceLength,
                    PeakLearningRate = peak ?? miniLlmDefaults.PeakLearningRate,
                    FinalLearningRate = final ?? miniLlmDefaults.FinalLearningRate,
                    WarmupSteps = warmupSteps ?? miniLlmDefaults.WarmupSteps,
                    WeightDecay = decay ?? miniLlmDefaults.WeightDecay,
                    GradientClip = distill.GradientClip,
                    Seed = distill.Seed,
                    EvalInterval = distill.EvalInterval,
                    CheckpointInterval = distill.CheckpointInterval,
                    PinTeacherVersion = distill.PinTeacherVersion,
                    MiniLlm = miniLlmDefaults.MiniLlm with
                    {
                        TeacherMixAlpha = result.GetValue(teacherMix),
                        LmCoefficient = result.GetValue(lmCoefficient),
                    },
                },
            };
            return await run(job, result, cancellation);
        });
        return command;
    }
}
