using System.Diagnostics;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Bench;

/// <summary>
/// Training throughput (tokens/s) of the default student and teacher configurations (the gpt2 family) beside Llama-family
/// models of about the same parameter count: full AdamW steps (forward, cross-entropy, backward, clip, update) on random
/// tokens, after warmup steps. Each row also gives the model FLOP/s of those steps (6 FLOPs per matmul weight and token,
/// plus attention's 12·layers·T·width, counted without the causal half a fused kernel skips) as a fraction of the
/// machine's float32 matmul peak, measured first with the same threads on 2048 × 2048 products.
/// </summary>
public static class TrainingSpeedBench
{
    public static void Run(string[] args)
    {
        int batch = BenchArgs.Int(args, "--batch-size", 16);
        int warmup = BenchArgs.Int(args, "--warmup", 2);
        int steps = BenchArgs.Int(args, "--steps", 6);
        double peak = MatmulPeak();
        Console.WriteLine($"training speed: batch {batch} × context, {warmup} warmup + {steps} timed steps, {torch.get_num_threads()} threads; "
                          + $"float32 matmul peak {peak / 1e9:F1} GFLOP/s (best {PeakSize}³ product)");
        Console.WriteLine($"{"configuration",-14} {"parameters",12} {"dropout",8} {"tokens/s",10} {"s/step",8} {"GFLOP/s",8} {"of peak",8}");
        foreach ((string name, ModelConfig config) in Configurations())
        {
            (long parameters, double tokensPerSecond, double secondsPerStep, double flopsPerToken) = Measure(config, batch, warmup, steps);
            double flops = tokensPerSecond * flopsPerToken;
            Console.WriteLine($"{name,-14} {parameters,12:N0} {Dropout(config),8:F2} {tokensPerSecond,10:N0} {secondsPerStep,8:F2} {flops / 1e9,8:F1} {flops / peak,8:P0}");
        }
    }

    /// <summary>The gpt2-family presets, and Llama-family models of the same width, depth and context with a SwiGLU MLP of the same size.</summary>
    private static IEnumerable<(string Name, ModelConfig Config)> Configurations()
    {
        yield return ("student", Gpt2Config.Student);
        yield return ("llama-student", LlamaLike(Gpt2Config.Student, keyValueHeads: Gpt2Config.Student.Heads));
        yield return ("teacher", Gpt2Config.Teacher);
        Gpt2Config teacher = Gpt2Config.Teacher with { ResidualDropout = 0.0, EmbeddingDropout = 0.0 };
        yield return ("teacher", teacher);
        yield return ("llama-teacher", LlamaLike(teacher, keyValueHeads: teacher.Heads));
        yield return ("llama-gqa", LlamaLike(teacher, keyValueHeads: 2));
    }

    /// <summary>A tied Llama of the width, depth, heads and context of <paramref name="gpt2"/>; its gate/up/down MLP has as many weights as GPT-2's 4× MLP.</summary>
    private static LlamaConfig LlamaLike(Gpt2Config gpt2, int keyValueHeads) => new()
    {
        VocabSize = gpt2.VocabSize, HiddenSize = gpt2.EmbeddingSize, IntermediateSize = 8 * gpt2.EmbeddingSize / 3,
        HiddenLayers = gpt2.LayerCount, AttentionHeads = gpt2.Heads, KeyValueHeadCount = keyValueHeads,
        MaxPositionEmbeddings = gpt2.Positions, TieWordEmbeddings = true,
    };

    private static double Dropout(ModelConfig config) => config is Gpt2Config gpt2 ? gpt2.ResidualDropout : 0.0;

    /// <summary>The best of several timed <see cref="PeakSize"/>³ float32 products (after two untimed ones), in FLOP/s.</summary>
    private static double MatmulPeak()
    {
        manual_seed(1);
        using Tensor a = randn(PeakSize, PeakSize);
        using Tensor b = randn(PeakSize, PeakSize);
        double best = double.MaxValue;
        for (int round = 0; round < 12; round++)
        {
            long started = Stopwatch.GetTimestamp();
            using Tensor product = a.matmul(b);
            if (round >= 2) best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        return 2.0 * PeakSize * PeakSize * PeakSize / best;
    }

    private const int PeakSize = 2048;

    private static (long Parameters, double TokensPerSecond, double SecondsPerStep, double FlopsPerToken) Measure(ModelConfig config, int batch, int warmup, int steps)
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
        return (model.ParameterCount, (double)steps * batch * config.ContextLength / seconds, seconds / steps, FlopsPerToken(model));
    }

    /// <summary>
    /// Training FLOPs per token: 6 per weight of every matrix product (the LM head included, embedding lookups not), plus
    /// the attention products, 12·layers·T·(heads·head_dim), as in the usual estimate (Kaplan et al., PaLM's appendix).
    /// </summary>
    private static double FlopsPerToken(CausalLm model)
    {
        ModelConfig config = model.Config;
        long matrices = 0;
        long width = 0;
        foreach ((string name, Parameter p) in model.named_parameters())
        {
            if (p.dim() != 2) continue;
            bool embedding = name.Contains("wte", StringComparison.Ordinal) || name.Contains("wpe", StringComparison.Ordinal)
                             || name.Contains("embed_tokens", StringComparison.Ordinal);
            if (name.Contains("wte", StringComparison.Ordinal) || name.Contains("embed_tokens", StringComparison.Ordinal)) width = p.shape[1];
            if (!embedding) matrices += p.numel();
        }
        if (config.TiedHead) matrices += (long)config.VocabSize * width;
        long attentionWidth = config switch
        {
            LlamaConfig llama => (long)llama.AttentionHeads * llama.HeadDim,
            _ => width,
        };
        return 6.0 * matrices + 12.0 * config.Layers * config.ContextLength * attentionWidth;
    }
}
