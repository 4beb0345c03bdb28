using Distill.StudentTrainer.Evaluation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Evaluation;

public class CalibrationErrorTests
{
    /// <summary>(N, V) log-probabilities from rows of probabilities.</summary>
    private static Tensor LogProbs(double[][] rows) =>
        tensor(rows.SelectMany(row => row.Select(p => (float)Math.Log(p))).ToArray(), [rows.Length, rows[0].Length]);

    private static Tensor Targets(params long[] targets) => tensor(targets);

    [Fact]
    public void Perfectly_calibrated_predictions_have_zero_error()
    {
        // Four predictions at confidence 0.75 of which three are right; two at 0.5 (a tie) of which exactly one is right.
        using Tensor scores = LogProbs([[0.75, 0.25], [0.75, 0.25], [0.75, 0.25], [0.75, 0.25], [0.5, 0.5], [0.5, 0.5]]);
        using Tensor targets = Targets(0, 0, 0, 1, 0, 1);
        var ece = new CalibrationError();
        ece.Add(scores, targets);

        Assert.Equal(6, ece.Count);
        Assert.Equal(0.0, ece.Value, 6);
        Assert.Equal(4.0 / 6, ece.Accuracy, 12);
        Assert.Equal((4 * 0.75 + 2 * 0.5) / 6, ece.MeanConfidence, 6);
    }

    [Fact]
    public void Miscalibrated_predictions_have_the_hand_computed_error()
    {
        // Logits (log-probabilities shifted by 3) for confidences 0.95 (wrong), 0.65 (right) and 0.65 (wrong).
        // Bin (0.9, 1]: n = 1, acc 0, conf 0.95; bin (0.6, 0.7]: n = 2, acc 0.5, conf 0.65.
        // ECE = 1/3·|0 − 0.95| + 2/3·|0.5 − 0.65|.
        using Tensor logits = LogProbs([[0.95, 0.05], [0.65, 0.35], [0.35, 0.65]]).add(3);
        using Tensor targets = Targets(1, 0, 0);
        var ece = new CalibrationError(bins: 10);
        ece.Add(logits, targets);

        Assert.Equal(1.0 / 3 * 0.95 + 2.0 / 3 * 0.15, ece.Value, 6);
        Assert.Equal(1.0 / 3, ece.Accuracy, 12);
        IReadOnlyList<CalibrationBin> bins = ece.Bins;
        Assert.Equal(10, bins.Count);
        Assert.Equal(1, bins[9].Count);
        Assert.Equal(2, bins[6].Count);
        Assert.Equal(0.6, bins[6].Lower, 12);
        Assert.Equal(0.7, bins[6].Upper, 12);
        Assert.Equal(0.65, bins[6].MeanConfidence, 6);
        Assert.Equal(0.5, bins[6].Accuracy, 12);
        Assert.Equal(3, bins.Sum(bin => bin.Count));
    }

    [Fact]
    public void Bins_are_closed_on_the_right()
    {
        // With two bins, confidence 0.5 belongs to (0, 0.5] and confidence 1 to (0.5, 1].
        using Tensor scores = tensor(new float[] { 0, 0, 0, float.NegativeInfinity }, [2, 2]);
        using Tensor targets = Targets(0, 0);
        var ece = new CalibrationError(bins: 2);
        ece.Add(scores, targets);

        Assert.Equal(1, ece.Bins[0].Count);
        Assert.Equal(1, ece.Bins[1].Count);
        Assert.Equal(1.0, ece.Bins[1].MeanConfidence, 12);
    }

    [Fact]
    public void Two_batches_count_as_their_concatenation()
    {
        var generator = new TorchSharp.torch.Generator(7);
        using Tensor logits = randn([64, 11], generator: generator).mul(3);
        using Tensor targets = randint(0, 11, [64], generator: generator);
        var whole = new CalibrationError();
        whole.Add(logits, targets);
        var parts = new CalibrationError();
        parts.Add(logits[..40], targets[..40]);
        parts.Add(logits[40..], targets[40..]);

        Assert.Equal(64, parts.Count);
        Assert.True(whole.Value > 0);
        Assert.Equal(whole.Value, parts.Value, 12);
        Assert.Equal(whole.Accuracy, parts.Accuracy, 12);
        Assert.Equal(whole.Bins.Select(bin => bin.Count), parts.Bins.Select(bin => bin.Count));
    }

    [Fact]
    public void Masked_positions_are_not_counted_and_their_targets_not_read()
    {
        var generator = new TorchSharp.torch.Generator(11);
        using Tensor logits = randn([2, 5, 7], generator: generator).mul(2);      // (B, T, V)
        using Tensor targets = randint(0, 7, [2, 5], generator: generator);      // (B, T)
        using Tensor mask = tensor(new[] { false, true, true, false, true, true, true, false, true, true }, [2, 5]);
        using Tensor ignored = targets.masked_fill(mask.logical_not(), -100);

        var masked = new CalibrationError();
        masked.Add(logits, ignored, mask);

        using Tensor kept = mask.reshape(-1).nonzero().squeeze(1);
        var subset = new CalibrationError();
        subset.Add(logits.reshape(-1, 7).index_select(0, kept), targets.reshape(-1).index_select(0, kept));
        var unmasked = new CalibrationError();
        unmasked.Add(logits, targets);

        Assert.Equal(7, masked.Count);
        Assert.Equal(subset.Value, masked.Value, 12);
        Assert.Equal(subset.Accuracy, masked.Accuracy, 12);
        Assert.NotEqual(unmasked.Value, masked.Value);
    }

    [Fact]
    public void Reset_forgets_and_an_empty_accumulator_reads_zero()
    {
        using Tensor scores = LogProbs([[0.9, 0.1]]);
        using Tensor targets = Targets(1);
        var ece = new CalibrationError();
        ece.Add(scores, targets);
        Assert.True(ece.Value > 0);
        ece.Reset();
        Assert.Equal(0, ece.Count);
        Assert.Equal(0.0, ece.Value);
        Assert.Equal(0.0, ece.Accuracy);
    }

    [Fact]
    public void Bad_shapes_types_and_targets_are_refused()
    {
        using Tensor scores = zeros(4, 3);
        var ece = new CalibrationError();
        Assert.Throws<ArgumentException>(() => ece.Add(scores, zeros(new long[] { 5 }, ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => ece.Add(scores, zeros(4)));
        Assert.Throws<ArgumentException>(() => ece.Add(scores, Targets(0, 1, 2, 3)));
        Assert.Throws<ArgumentException>(() => ece.Add(scores, Targets(0, 1, 2, -1)));
        Assert.Throws<ArgumentException>(() => ece.Add(scores, Targets(0, 1, 2, 0), ones(3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CalibrationError(bins: 0));
        Assert.Equal(0, ece.Count);
    }
}
