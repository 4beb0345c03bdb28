using static TorchSharp.torch;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// Prompts alone, to sample responses from: left-padded to the longest, so every prompt ends at the last column and
/// generated tokens line up. Pass <see cref="AttentionMask"/> and <see cref="PositionIds"/> to the model so padding is
/// not attended to and each prompt's first token has position 0.
/// </summary>
/// <param name="Ids">(B, P) int64 token ids, P = the longest prompt; padding (on the left) holds the pad id.</param>
/// <param name="AttentionMask">(B, P) bool: true at real tokens.</param>
/// <param name="PositionIds">(B, P) int64: 0, 1, … from each prompt's first real token; 0 on padding.</param>
public sealed record PromptBatch(Tensor Ids, Tensor AttentionMask, Tensor PositionIds) : IDisposable
{
    /// <summary>The prompts of tokenized pairs, on <paramref name="device"/>.</summary>
    public static PromptBatch Build(IReadOnlyList<TokenizedPair> pairs, Device device, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return Build(pairs.Select(p => p.Prompt).ToArray(), device, padId);
    }

    /// <summary>The batch of <paramref name="prompts"/>, on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentException">No prompts, or an empty prompt.</exception>
    public static PromptBatch Build(IReadOnlyList<IReadOnlyList<int>> prompts, Device device, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("a batch needs at least one prompt");
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("every prompt needs at least one token");

        int batch = prompts.Count;
        int length = prompts.Max(p => p.Count);
        var ids = new long[batch * length];
        var real = new bool[batch * length];
        var positions = new long[batch * length];
        Array.Fill(ids, padId);
        for (int b = 0; b < batch; b++)
        {
            int padding = length - prompts[b].Count;
            for (int t = padding; t < length; t++)
            {
                ids[b * length + t] = prompts[b][t - padding];
                real[b * length + t] = true;
                positions[b * length + t] = t - padding;
            }
        }
        return new PromptBatch(
            tensor(ids, [batch, length], device: device),
            tensor(real, [batch, length], device: device),
            tensor(positions, [batch, length], device: device));
    }

    public void Dispose()
    {
        Ids.Dispose();
        AttentionMask.Dispose();
        PositionIds.Dispose();
    }
}
