using System.CommandLine;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>train</c>: distils a student from a teacher served by TeacherServer (started here when no URL is given).</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new DistillOptions { Student = GptConfig.Student };
        var teacher = new TeacherCliOptions();
        Option<string> student = new("--student") { Description = "Student model: student, teacher, or a model.json file (e.g. models/default-student.json)", DefaultValueFactory = _ => "models/default-student.json" };
        Option<string?> init = new("--init") { Description = "Start from this checkpoint folder's weights (e.g. a pretrained student) instead of random ones" };
        Option<string> tokenizer = new("--tokenizer") { Description = "Tokenizer folder of the student; must match the teacher's (fingerprint and vocabulary size)", DefaultValueFactory = _ => "models/austen-gpt" };
        Option<string?> output = new("--out") { Description = "Run folder (default runs/train-<time>): checkpoints, metrics.jsonl, plots, summary.json, exported student" };
        Option<string?> resume = new("--resume") { Description = "Continue the run in this folder exactly from its latest checkpoint (its options are used)" };
        Option<int> steps = new("--steps") { Description = "Optimiser steps", DefaultValueFactory = _ => defaults.Steps };
        Option<int> batch = new("--batch-size") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => defaults.BatchSize };
        Option<int> accumulation = new("--grad-accum") { Description = "Micro-batches per optimiser step", DefaultValueFactory = _ => defaults.GradientAccumulation };
        Option<int> sequenceLength = new("--seq-len") { Description = "Tokens per training sequence (≤ the student's context)", DefaultValueFactory = _ => defaults.SequenceLength };
        Option<double> learningRate = new("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => defaults.PeakLearningRate };
        Option<double> minLearningRate = new("--min-lr") { Description = "Learning rate at the end of the cosine decay", DefaultValueFactory = _ => defaults.FinalLearningRate };
        Option<int> warmup = new("--warmup") { Description = "Linear warmup steps", DefaultValueFactory = _ => defaults.WarmupSteps };
        Option<double> weightDecay = new("--weight-decay") { Description = "AdamW weight decay on matrices", DefaultValueFactory = _ => defaults.WeightDecay };
        Option<double> clip = new("--clip") { Description = "Global gradient-norm clip", DefaultValueFactory = _ => defaults.GradientClip };
        Option<string> divergence = new("--divergence") { Description = "fkl, rkl, js, tvd, skl, srkl or akl (DESIGN.md defines each over the teacher's top-k + tail)", DefaultValueFactory = _ => "fkl" };
        Option<double> lambda = new("--lambda") { Description = "λ in (1 − λ)·CE + λ·divergence; 0 = cross-entropy only", DefaultValueFactory = _ => defaults.Lambda };
        Option<int> topK = new("--k") { Description = "Teacher top-k ids per position", DefaultValueFactory = _ => defaults.TopK };
        Option<double> temperature = new("--temperature") { Description = "τ of teacher and student distributions", DefaultValueFactory = _ => defaults.Temperature };
        Option<double> alpha = new("--alpha") { Description = "Skew α of skl / srkl", DefaultValueFactory = _ => defaults.Alpha };
        Option<double> beta = new("--beta") { Description = "β of js", DefaultValueFactory = _ => defaults.Beta };
        Option<double> mu = new("--mu") { Description = "μ of akl's head/tail split", DefaultValueFactory = _ => defaults.Mu };
        Option<int> prefetch = new("--prefetch") { Description = "Batches whose teacher answers are requested ahead", DefaultValueFactory = _ => defaults.PrefetchDepth };
        Option<int> evalInterval = new("--eval-interval") { Description = "Evaluate every N steps (and before and after training)", DefaultValueFactory = _ => defaults.EvalInterval };
        Option<int> checkpointInterval = new("--checkpoint-interval") { Description = "Checkpoint every N steps (and at the end, and on Ctrl-C)", DefaultValueFactory = _ => defaults.CheckpointInterval };
        Option<bool> pin = new("--pin-teacher-version") { Description = "Stop if the teacher's version changes mid-run (otherwise logged and counted)" };
        Option<bool> noBaseline = new("--no-baseline") { Description = "Skip the cross-entropy student trained for comparison on the same steps and data" };
        Option<string> data = CliOptions.Data();
        Option<string> device = CliOptions.Device();
        Option<int> threads = CliOptions.Threads();
        Option<int> seed = CliOptions.Seed();

        var command = new Command("train", "Distil a student from a served teacher, evaluate it beside a cross-entropy baseline, export it");
        foreach (Option option in new Option[]
                 {
                     student, init, tokenizer, output, resume, steps, batch, accumulation,
                     sequenceLength, learningRate, minLearningRate, warmup, weightDecay, clip, divergence, lambda, topK, temperature,
                     alpha, beta, mu, prefetch, evalInterval, checkpointInterval, pin, noBaseline, data, device, threads, seed,
                 }.Concat(teacher.All))
            command.Options.Add(option);
        command.SetAction(async (result, cancellation) =>
        {
            var job = new TrainJobSettings
            {
                TeacherUrls = result.GetValue(teacher.Urls) ?? [],
                TeacherModel = result.GetValue(teacher.Model),
                ModelsFolder = result.GetValue(teacher.ModelsFolder)!,
                TeacherThreads = result.GetValue(teacher.Threads),
                Client = teacher.Client(result),
                Student = result.GetValue(student)!,
                InitialWeights = result.GetValue(init),
                Tokenizer = result.GetValue(tokenizer)!,
                RunFolder = result.GetValue(output),
                Resume = result.GetValue(resume),
                DataFolder = result.GetValue(data)!,
                Device = result.GetValue(device)!,
                Threads = result.GetValue(threads),
                Baseline = !result.GetValue(noBaseline),
                Options = defaults with
                {
                    Steps = result.GetValue(steps),
                    BatchSize = result.GetValue(batch),
                    GradientAccumulation = result.GetValue(accumulation),
                    SequenceLength = result.GetValue(sequenceLength),
                    PeakLearningRate = result.GetValue(learningRate),
                    FinalLearningRate = result.GetValue(minLearningRate),
                    WarmupSteps = result.GetValue(warmup),
                    WeightDecay = result.GetValue(weightDecay),
                    GradientClip = result.GetValue(clip),
                    Seed = result.GetValue(seed),
                    Divergence = DivergenceKindNames.Parse(result.GetValue(divergence)!),
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
                },
            };
            return await TrainJob.RunAsync(job, cancellation);
        });
        return command;
    }
}
