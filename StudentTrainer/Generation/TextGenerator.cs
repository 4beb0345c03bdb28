using Distill.StudentTrainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Generation;

/// <summary>Autoregressive continuation of prompts with a <see cref="CausalLm"/>.</summary>
public static class TextGenerator
{
    /// <param name="prompts">(B, T0) int64; all prompts of one call have the same length.</param>
    /// <returns>(B, T0 + n) int64: the prompts followed by the generated tokens.</returns>
    public static Tensor Generate(CausalLm model, Tensor prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompts.dim() != 2 || prompts.shape[1] == 0)
            throw new ArgumentException("prompts must be a (B, T) tensor with T ≥ 1");
        long promptLength = prompts.shape[1];
        if (promptLength > model.Config.ContextLength)
            throw new ArgumentException($"prompt of {promptLength} tokens exceeds the context length {model.Config.ContextLength}");
        long steps = Math.Min(options.MaxNewTokens, model.Config.ContextLength - promptLength);

        bool wasTraining = model.training;
        model.eval();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)options.Seed, prompts.device);
        using var cache = options.UseKvCache ? new KvCache(model.Config.Layers) : null;
        Tensor sequence = prompts.to_type(ScalarType.Int64).alias();
        Tensor finished = zeros(prompts.shape[0], 1, ScalarType.Bool, prompts.device);
        try
        {
            for (long step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                Tensor input = cache is null || step == 0 ? sequence : sequence[.., ^1..];         // (B, T') 
                Tensor logits = model.Forward(input, cache: cache)[.., -1, ..];                  // (B, V)
                Tensor next = TokenSampler.Sample(logits, options, generator);                     // (B, 1)
                if (options.EosId is int eos)
                {
                    next = next.masked_fill(finished, Scalars.Of(eos));
                    finished.logical_or_(next.eq(Scalars.Of(eos)));
                }
                Tensor extended = cat([sequence, next], 1).MoveToOuterDisposeScope();
                sequence.Dispose();
                sequence = extended;
                if (options.EosId is not null && finished.all().item<bool>()) break;
            }
            return sequence;
        }
        finally
        {
            finished.Dispose();
            model.train(wasTraining);
        }
    }
}
