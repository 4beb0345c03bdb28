using System.Diagnostics;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Bench;

/// <summary>
/// Training throughput (tokens/s) of the default student and teacher configurations: full AdamW steps
/// (forward, cross-entropy, backward, clip, update) on random tokens, after warmup steps.
/// </summary>
public static class TrainingSpeedBench
{
    public static void Run(string[] args)
    {
        int batch = BenchArgs.Int(args, "--batch-size", 16);
        int warmup = BenchArgs.Int(args, "--warmup", 2);
        int steps = BenchArgs.Int(args, "--steps", 6);
        Console.WriteLine($"training speed: batch {batch} × context, {warmup} warmup + {steps} timed steps, {torch.get_num_threads()} threads");
        Console.WriteLine($"{"configuration",-14} {"parameters",12} {"dropout",8} {"tokens/s",10} {"s/step",8}");
        foreach ((string name, ModelConfig config) in new[]
                 {
                     ("student", Gpt2Config.Student),
                     ("teacher", Gpt2Config.Teacher),
                     ("teacher", Gpt2Config.Teacher with { ResidualDropout = 0.0, EmbeddingDropout = 0.0 }),
                 })
        {
            (long parameters, double tokensPerSecond, double secondsPerStep) = Measure(config, batch, warmup, steps);
            Console.WriteLine($"{name,-14} {parameters,12:N0} {Dropout(config),8:F2} {tokensPerSecond,10:N0} {secondsPerStep,8:F2}");
        }
    }

    private static double Dropout(ModelConfig config) => config is Gpt2Config gpt2 ? gpt2.ResidualDropout : 0.0;

    private static (long Parameters, double TokensPerSecond, double SecondsPerStep) Measure(ModelConfig config, int batch, int warmup, int steps)
    {
        manual_seed(1);
        using var model = config.CreateModel();
        model.train();
        using var optimizer = AdamWFactory.Create(model, 1e-4, 0.1);
        var stream = new TokenStream(Enumerable.Range(0, 200_000).Select(i => (i * 7919) % config.VocabSize).ToArray());
        var random = new Random(1);
        Parameter[] parameters = model.parameters().ToArray();
        var clock = new Stopwatch();
        for (int step = 0; step < warmup + steps; step++)
        {
            if (step == warmup) clock.Start();
            using var scope = NewDisposeScope();
            (Tensor x, Tensor y) = stream.RandomBatch(random, batch, config.ContextLength);
            CrossEntropyStep.Run(model, optimizer, parameters, x, y, gradientClip: 1.0);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return (model.ParameterCount, (double)steps * batch * config.ContextLength / seconds, seconds / steps);
    }
}
