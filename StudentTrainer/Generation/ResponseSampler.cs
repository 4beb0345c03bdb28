using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Generation;

/// <summary>
/// Samples one response for each prompt of a batch whose prompts differ in length. The prompts are left-padded
/// (<see cref="PromptBatch"/>) so every row's next token lands in the same column; keys and values are cached, so after
/// the prompt pass each step feeds one token per row, with an attention mask that grows by one column and positions that
/// continue each row's own count.
/// </summary>
public static class ResponseSampler
{
    /// <summary>
    /// Responses of <paramref name="model"/> to <paramref name="prompts"/>, sampled without gradients in eval mode (the
    /// model's training flag is restored afterwards). The same seed gives the same responses.
    /// </summary>
    /// <param name="prompts">Token ids of each prompt; each has 1 to ContextLength tokens.</param>
    /// <param name="options">
    /// Temperature, top-k, top-p, seed, end-of-sequence id and the maximum of new tokens; the cache is always used
    /// (<see cref="GenerationOptions.UseKvCache"/> is ignored).
    /// </param>
    /// <returns>
    /// Per prompt, the generated ids: ending with the end-of-sequence id when the row sampled it (nothing follows it), else
    /// min(MaxNewTokens, ContextLength − longest prompt of the batch) ids, since the rows share the padded width.
    /// </returns>
    /// <exception cref="ArgumentException">No prompts, an empty prompt, one longer than the context, or invalid options.</exception>
    public static int[][] Sample(CausalLm model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("sampling needs at least one prompt");
        int longest = prompts.Max(p => p.Count);
        if (longest > model.Config.ContextLength)
            throw new ArgumentException($"a prompt of {longest} tokens exceeds the context length {model.Config.ContextLength}");
        int steps = Math.Min(options.MaxNewTokens, model.Config.ContextLength - longest);

        var responses = prompts.Select(_ => new List<int>()).ToArray();
        if (steps > 0)
        {
            bool wasTraining = model.training;
            model.eval();
            try
            {
                Run(model, prompts, options, steps, responses);
            }
            finally
            {
                model.train(wasTraining);
            }
        }
        return responses.Select(r => r.ToArray()).ToArray();
    }

    private static void Run(CausalLm model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, int steps, List<int>[] responses)
    {
        Device device = model.parameters().First().device;
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)options.Seed, device);
        using var cache = new KvCache(model.Config.Layers);
        PromptBatch batch = PromptBatch.Build(prompts, device);
        Tensor ids = batch.Ids, mask = batch.AttentionMask, positions = batch.PositionIds;   // (B, T), (B, past+T), (B, T)
        var finished = new bool[prompts.Count];
        try
        {
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                Tensor logits = model.Forward(ids, mask, positions, cache)[.., -1, ..];                          // (B, V)
                Tensor next = TokenSampler.Sample(logits, options, generator);                                   // (B, 1)
                if (Record(next, options.EosId, responses, finished) || step + 1 == steps) break;
                Replace(ref ids, next);
                Replace(ref mask, cat([mask, ones(prompts.Count, 1, ScalarType.Bool, device)], 1));            // (B, past+T+1)
                Replace(ref positions, positions[.., ^1..].add(Scalars.One, Scalars.One));                           // (B, 1)
            }
        }
        finally
        {
            ids.Dispose();
            mask.Dispose();
            positions.Dispose();
        }
    }

    /// <summary>Appends each unfinished row's token; true when every row has ended.</summary>
    private static bool Record(Tensor next, int? eosId, List<int>[] responses, bool[] finished)
    {
        long[] tokens = next.cpu().data<long>().ToArray();
        for (int row = 0; row < tokens.Length; row++)
        {
            if (finished[row]) continue;
            responses[row].Add((int)tokens[row]);
            finished[row] = tokens[row] == eosId;
        }
        return eosId is not null && finished.All(f => f);
    }

    /// <summary>Keeps <paramref name="next"/> beyond the step's dispose scope in place of <paramref name="current"/>.</summary>
    private static void Replace(ref Tensor current, Tensor next)
    {
        Tensor kept = next.MoveToOuterDisposeScope();
        current.Dispose();
        current = kept;
    }
}
