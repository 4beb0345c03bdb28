using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>Builds the boolean mask (true = may attend) used by attention when padding or a cache is present.</summary>
public static class AttentionMask
{
    /// <summary>
    /// Causal mask over padded keys: query i (absolute position past+i) may see key j when j ≤ past+i and
    /// key j is not padding. A query always sees itself, so a padding query never has an empty row (its
    /// output is meaningless but finite). The exporter builds the same mask in the ONNX graph.
    /// </summary>
    /// <param name="keyPadding">(B, past+T) int64 or bool, 1 = real token; null when nothing is padded.</param>
    /// <param name="queryLength">T, the number of new positions.</param>
    /// <param name="pastLength">Positions already in the cache.</param>
    /// <returns>(B or 1, 1, T, past+T) bool.</returns>
    public static Tensor Build(Tensor? keyPadding, long queryLength, long pastLength, Device device)
    {
        long keyLength = pastLength + queryLength;
        using var scope = NewDisposeScope();
        Tensor queryPositions = Positions(pastLength, keyLength, device).unsqueeze(1);      // (T, 1)
        Tensor keyPositions = Positions(0, keyLength, device).unsqueeze(0);                 // (1, past+T)
        Tensor causal = keyPositions.le(queryPositions);                                    // (T, past+T)
        if (keyPadding is null)
            return causal.unsqueeze(0).unsqueeze(0).MoveToOuterDisposeScope();
        Tensor realKeys = keyPadding.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1);      // (B, 1, 1, past+T)
        Tensor self = keyPositions.eq(queryPositions);                                      // (T, past+T)
        return causal.logical_and(realKeys).logical_or(self).MoveToOuterDisposeScope();      // (B, 1, T, past+T)
    }

    private static Tensor Positions(long start, long stop, Device device) =>
        arange(Scalars.Of(start), Scalars.Of(stop), Scalars.One, ScalarType.Int64, device);
}
