using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>Reference logits from the TorchSharp model, and comparisons of flat (B, T, V) logits.</summary>
public static class TorchLogits
{
    /// <returns>(B, T, V) row-major logits of <see cref="CausalLm.Forward"/> with the batch's mask and positions.</returns>
    public static float[] Of(CausalLm model, long[] inputIds, long[] attentionMask, long[] positionIds, long[] shape)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor logits = model.Forward(tensor(inputIds, shape), tensor(attentionMask, shape), tensor(positionIds, shape));
        return logits.contiguous().data<float>().ToArray();
    }

    public static float[] Of(CausalLm model, TokenBatch batch) =>
        Of(model, batch.InputIds, batch.AttentionMask, batch.PositionIds, batch.Shape);

    /// <returns>(1, len, V) logits of one unpadded sequence at positions 0..len-1.</returns>
    public static float[] OfSequence(CausalLm model, long[] ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.Forward(tensor(ids, [1, ids.Length])).contiguous().data<float>().ToArray();
    }

    /// <summary>Largest |a − b| over the real (unpadded) positions of <paramref name="batch"/>; both are (B, T, V).</summary>
    public static float MaxAbsDifferenceOnRealPositions(float[] a, float[] b, TokenBatch batch, int vocab)
    {
        float max = 0;
        for (int row = 0; row < batch.Batch; row++)
        {
            for (int i = 0; i < batch.Lengths[row]; i++)
            {
                int start = ((row * batch.Length) + batch.Offsets[row] + i) * vocab;
                max = Math.Max(max, MaxAbsDifference(a.AsSpan(start, vocab), b.AsSpan(start, vocab)));
            }
        }
        return max;
    }

    public static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
