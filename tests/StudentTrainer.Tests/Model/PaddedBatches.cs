using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>Checks that a model's logits for a padded batch equal those of each sequence run alone.</summary>
internal static class PaddedBatches
{
    /// <param name="forward">(ids, attention mask or null, position ids or null) → logits (B, T, V).</param>
    /// <param name="padLeft">Pad before the tokens (generation) or after them (training).</param>
    public static void AssertEachRowEqualsItAlone(Func<Tensor, Tensor?, Tensor?, Tensor> forward, bool padLeft)
    {
        int[] lengths = [12, 5, 9];
        int width = lengths.Max();
        using Tensor ids = zeros(lengths.Length, width, ScalarType.Int64);
        using Tensor mask = zeros(lengths.Length, width, ScalarType.Int64);
        using Tensor positions = zeros(lengths.Length, width, ScalarType.Int64);
        var singles = new List<Tensor>();
        for (int b = 0; b < lengths.Length; b++)
        {
            Tensor single = TinyModels.RandomIds(1, lengths[b], seed: 10 + b);
            singles.Add(single);
            int start = padLeft ? width - lengths[b] : 0;
            ids[b, start..(start + lengths[b])] = single[0];
            mask[b, start..(start + lengths[b])] = ones(lengths[b], ScalarType.Int64);
            positions[b, start..(start + lengths[b])] = arange(lengths[b], dtype: ScalarType.Int64);
        }

        using Tensor batched = forward(ids, mask, positions);
        for (int b = 0; b < lengths.Length; b++)
        {
            using Tensor alone = forward(singles[b], null, null);
            int start = padLeft ? width - lengths[b] : 0;
            Assert.True(TinyModels.MaxAbsDiff(batched[b, start..(start + lengths[b])], alone[0]) < 1e-5, $"row {b}");
            Assert.False(batched[b].isnan().any().item<bool>());
        }
        singles.ForEach(s => s.Dispose());
    }
}
