using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>Where a run's pieces come from and go to; everything optional is null when unused.</summary>
/// <param name="Teacher">Answers top-k requests; required when λ &gt; 0.</param>
/// <param name="InitialWeights">A model folder (Hugging Face config.json + safetensors, or a checkpoint of this project) to start from instead of random weights.</param>
/// <param name="ResumeFrom">A checkpoint folder (see <see cref="TrainingCheckpoint"/>) to continue exactly.</param>
/// <param name="Metrics">Receives train and eval records; on resume, the caller truncates it to the checkpoint's step first.</param>
/// <param name="Stop">Fires on SIGINT: the run writes a checkpoint of its last completed step and returns.</param>
/// <param name="CheckpointFiles">How checkpoints reach the disk; null: <see cref="DurableCheckpointFiles"/>.</param>
public sealed record DistillRunContext(
    TokenStream Train,
    string RunFolder,
    Device Device,
    ITeacher? Teacher = null,
    IStudentEvaluator? Evaluator = null,
    MetricsLog? Metrics = null,
    string? InitialWeights = null,
    string? ResumeFrom = null,
    CancellationToken Stop = default,
    ICheckpointFiles? CheckpointFiles = null);

/// <summary>
/// The distillation loop, flat as in nanoGPT: data → teacher (prefetched) → student forward → (1 − λ)·CE + λ·D →
/// backward (accumulated over micro-batches) → clip → AdamW → warmup + cosine. The data order is a pure function of
/// the seed, so a resumed run continues exactly where the checkpoint stopped.
/// </summary>
public sealed class DistillationTrainer(DistillOptions options, ITrainingReporter reporter)
{
    /// <summary>Read the loss back every this many steps (and at the last).</summary>
    public int LogInterval { get; init; } = 10;

    public DistillResult Run(DistillRunContext context)
    {
        options.Validate();
        if (options.UsesTeacher && context.Teacher is null)
            throw new ArgumentException("λ > 0 needs a teacher");
        Device device = context.Device;
        using var loop = new TrainingLoop(options, reporter, new RunSetting(context.RunFolder, device, context.Evaluator, context.Metrics,
            context.InitialWeights, context.ResumeFrom, context.Stop, context.CheckpointFiles)) { LogInterval = LogInterval };
        CausalLm model = loop.Model;
        var sampler = new WindowSampler(context.Train, options.SequenceLength, options.BatchSize, options.Seed);
        var epochs = options.EpochSteps is { } epoch ? new EpochBatchOrder((long)epoch * options.GradientAccumulation, options.Seed) : null;
        long totalBatches = (long)options.Steps * options.GradientAccumulation;
        using var prefetcher = options.UsesTeacher
            ? new TeacherPrefetcher(context.Teacher!, n => sampler.InputsOf(SourceOf(n)), options.TopK, (float)options.Temperature, options.PrefetchDepth, totalBatches)
            : null;
        int tokensPerStep = options.BatchSize * options.GradientAccumulation * options.SequenceLength;
        prefetcher?.Request((long)loop.StartStep * options.GradientAccumulation); // the teacher works while step 0 is evaluated
        return loop.Run(TrainStep, new TrainingHooks(TeacherWait: prefetcher is null ? null : () => prefetcher.Waited));

        StepOutcome TrainStep(int stepIndex)
        {
            using var scope = NewDisposeScope();
            loop.Optimizer.zero_grad();
            Tensor sums = StepLosses.Sums(device);
            for (int micro = 0; micro < options.GradientAccumulation; micro++)
            {
                long batchIndex = (long)stepIndex * options.GradientAccumulation + micro;
                (Tensor inputs, Tensor targets) = context.Train.Slice(sampler.StartsOf(SourceOf(batchIndex)), options.SequenceLength);
                using TeacherTargets? teacher = prefetcher is null ? null : Answer(prefetcher.Take(batchIndex, context.Stop));
                Tensor mask = ones(inputs.shape, ScalarType.Bool, device);
                (Tensor loss, Tensor crossEntropy, Tensor divergence) = DistillationStep.Loss(model, inputs.to(device), targets.to(device), mask,
                    teacher?.To(device), options);
                loss.div(Scalars.Of(options.GradientAccumulation)).backward();
                StepLosses.Add(sums, loss, crossEntropy, divergence);
            }
            loop.ClipAndStep();
            return new StepOutcome(loop.IsLogStep(stepIndex) ? StepLosses.Mean(sums, options.GradientAccumulation) : null, tokensPerStep);
        }

        long SourceOf(long batch) => epochs?.SourceOf(batch) ?? batch;

        TeacherTargets Answer(TopKResult answer)
        {
            loop.Versions.Record(answer.Version);
            return TeacherTargets.From(answer, options.SequenceLength);
        }
    }

    /// <summary>One line of figures, after <paramref name="label"/> (e.g. "step 100").</summary>
    public static string Describe(string label, StudentEvaluation e)
    {
        string text = $"{label}: validation perplexity {e.ValidationPerplexity:F2}";
        if (e.KlToTeacher is double kl) text += $", KL to teacher {kl:F4}";
        if (e.TeacherTop1Agreement is double top1) text += $", top-1 agreement {top1:P1}";
        text += $", ECE {e.ExpectedCalibrationError:F4}";
        if (e.RougeLReference is double rr) text += $", ROUGE-L vs reference {rr:F4}";
        if (e.RougeLTeacher is double rt) text += $", vs teacher {rt:F4}";
        return text;
    }
}
