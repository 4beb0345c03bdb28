using System.Diagnostics;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Training;

/// <summary>
/// Trains a <see cref="CausalLm"/> from scratch with next-token cross-entropy: AdamW (decay on 2-D weights only),
/// linear warmup + cosine learning rate, global-norm gradient clipping, fixed seeds for weights and batches.
/// </summary>
public sealed class Pretrainer(PretrainOptions options, ITrainingReporter reporter)
{
    private const int LogEvery = 10;

    public PretrainResult Run(TokenStream train, TokenStream validation, TokenStream test, string outputFolder, Device device)
    {
        options.Validate();
        torch.manual_seed(options.Seed);
        var random = new Random(options.Seed);
        using var model = options.Model.CreateModel();
        model.to(device);
        model.train();
        reporter.Message($"model: {model.ParameterCount:N0} parameters; train {train.Count:N0} tokens, " +
                         $"validation {validation.Count:N0}, test {test.Count:N0}");

        using AdamWOptimizer optimizer = AdamWFactory.Create(model, options.PeakLearningRate, options.WeightDecay);
        var schedule = new LearningRateSchedule(options.PeakLearningRate, options.FinalLearningRate, options.WarmupSteps, options.Steps);
        Parameter[] parameters = model.parameters().ToArray();

        int tokensPerStep = options.BatchSize * options.Model.ContextLength;
        var clock = Stopwatch.StartNew();
        double lastLoss = double.NaN;
        for (int step = 0; step < options.Steps; step++)
        {
            double learningRate = schedule.At(step);
            optimizer.LearningRate = learningRate;

            using (var scope = NewDisposeScope())
            {
                (Tensor inputs, Tensor targets) = train.RandomBatch(random, options.BatchSize, options.Model.ContextLength);
                Tensor loss = CrossEntropyStep.Run(model, optimizer, parameters, inputs.to(device), targets.to(device), options.GradientClip);
                bool log = (step + 1) % LogEvery == 0 || step + 1 == options.Steps;
                if (log) lastLoss = loss.item<float>();
                double tokensPerSecond = (step + 1) * (double)tokensPerStep / clock.Elapsed.TotalSeconds;
                reporter.Step(new StepReport(step + 1, options.Steps, log ? lastLoss : null, learningRate, tokensPerSecond));
            }

            if ((step + 1) % options.EvalInterval == 0 && step + 1 < options.Steps)
            {
                (double valLoss, double valPpl) = PerplexityEvaluator.Evaluate(model, validation, options.BatchSize, device);
                reporter.Evaluated(step + 1, "validation", valLoss, valPpl);
                ModelFolder.Save(model, outputFolder);
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;

        ModelFolder.Save(model, outputFolder);
        (double finalValLoss, double finalValPpl) = PerplexityEvaluator.Evaluate(model, validation, options.BatchSize, device);
        reporter.Evaluated(options.Steps, "validation", finalValLoss, finalValPpl);
        (double testLoss, double testPpl) = PerplexityEvaluator.Evaluate(model, test, options.BatchSize, device);
        reporter.Evaluated(options.Steps, "test", testLoss, testPpl);

        long tokensSeen = (long)options.Steps * tokensPerStep;
        return new PretrainResult(model.ParameterCount, tokensSeen, seconds, tokensSeen / seconds, lastLoss, finalValPpl, testPpl);
    }
}
