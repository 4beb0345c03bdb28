using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>One confidence bin of a <see cref="CalibrationError"/>: the interval (Lower, Upper] (the first bin also holds 0).</summary>
/// <param name="MeanConfidence">Mean top-1 probability of the predictions in the bin; 0 for an empty bin.</param>
/// <param name="Accuracy">Fraction of the bin's predictions whose top-1 token is the target; 0 for an empty bin.</param>
public sealed record CalibrationBin(double Lower, double Upper, long Count, double MeanConfidence, double Accuracy);

/// <summary>
/// Expected calibration error of next-token predictions (Guo et al., 2017), accumulated over batches:
/// the top-1 probabilities are sorted into equal-width bins (lo, hi] over [0, 1], and
/// ECE = Σ_b (n_b / N)·|acc_b − conf_b|. Also the top-1 accuracy. Per-bin sums are kept in float64 on the CPU,
/// so the value over several batches equals the value over their concatenation.
/// </summary>
public sealed class CalibrationError
{
    private readonly long[] _counts;
    private readonly double[] _confidenceSums;
    private readonly long[] _correctCounts;

    /// <param name="bins">Number of equal-width confidence bins (10 by default).</param>
    public CalibrationError(int bins = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        _counts = new long[bins];
        _confidenceSums = new double[bins];
        _correctCounts = new long[bins];
    }

    /// <summary>Number of predictions counted so far.</summary>
    public long Count => _counts.Sum();

    /// <summary>Expected calibration error of the predictions so far, in [0, 1]; 0 before any prediction.</summary>
    public double Value => Count == 0 ? 0 : Enumerable.Range(0, _counts.Length).Sum(b => Math.Abs(_correctCounts[b] - _confidenceSums[b])) / Count;

    /// <summary>Fraction of the predictions so far whose top-1 token is the target; 0 before any prediction.</summary>
    public double Accuracy => Count == 0 ? 0 : (double)_correctCounts.Sum() / Count;

    /// <summary>Mean top-1 probability of the predictions so far; 0 before any prediction.</summary>
    public double MeanConfidence => Count == 0 ? 0 : _confidenceSums.Sum() / Count;

    /// <summary>The bins in increasing order of confidence.</summary>
    public IReadOnlyList<CalibrationBin> Bins =>
    [
        .. Enumerable.Range(0, _counts.Length).Select(b => new CalibrationBin(
            (double)b / _counts.Length,
            (double)(b + 1) / _counts.Length,
            _counts[b],
            _counts[b] == 0 ? 0 : _confidenceSums[b] / _counts[b],
            _counts[b] == 0 ? 0 : (double)_correctCounts[b] / _counts[b])),
    ];

    /// <summary>Counts a batch of predictions.</summary>
    /// <param name="scores">Logits or log-probabilities, (N, V) or (..., V): either gives the same softmax.</param>
    /// <param name="targets">The true next tokens, int64, (N) or (...) matching the leading dimensions of <paramref name="scores"/>.</param>
    /// <param name="mask">Optional, same shape as <paramref name="targets"/>: only positions where it is true (or non-zero) count;
    /// targets at other positions are not read (an ignore index such as −100 is fine there).</param>
    public void Add(Tensor scores, Tensor targets, Tensor? mask = null)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(targets);
        if (scores.dim() < 2) throw new ArgumentException($"scores must be (N, V); got {Shape(scores.shape)}.", nameof(scores));
        long[] leading = scores.shape[..^1];
        if (!targets.shape.SequenceEqual(leading))
        {
            throw new ArgumentException(
                $"targets must have shape {Shape(leading)} to match scores {Shape(scores.shape)}; got {Shape(targets.shape)}.",
                nameof(targets));
        }
        if (targets.dtype != ScalarType.Int64) throw new ArgumentException($"targets must be int64; got {targets.dtype}.", nameof(targets));
        if (mask is not null && !mask.shape.SequenceEqual(leading))
        {
            throw new ArgumentException(
                $"mask must have the shape of targets {Shape(leading)}; got {Shape(mask.shape)}.", nameof(mask));
        }

        using var scope = NewDisposeScope();
        long vocabulary = scores.shape[^1];
        Tensor flatScores = scores.detach().reshape(-1, vocabulary);                          // (N, V)
        Tensor flatTargets = targets.detach().reshape(-1);                                     // (N)
        if (mask is not null)
        {
            Tensor kept = mask.detach().reshape(-1).ne(Scalars.Of(0L)).nonzero().squeeze(1);  // (M)
            flatScores = flatScores.index_select(0, kept.to(flatScores.device));              // (M, V)
            flatTargets = flatTargets.index_select(0, kept.to(flatTargets.device));           // (M)
        }
        if (flatTargets.numel() == 0) return;

        Tensor targetsOnCpu = flatTargets.cpu();
        long lowest = targetsOnCpu.min().item<long>();
        long highest = targetsOnCpu.max().item<long>();
        if (lowest < 0 || highest >= vocabulary)
        {
            throw new ArgumentException($"targets must lie in [0, {vocabulary}) where counted; found {(lowest < 0 ? lowest : highest)}.", nameof(targets));
        }

        // The top-1 probability is 1 / Σ exp(x − max): exact for ties such as [0, 0] → 0.5, which sit on a bin edge.
        Tensor work = flatScores.dtype == ScalarType.Float64 ? flatScores : flatScores.to(ScalarType.Float32);
        (Tensor topProbability, Tensor topToken) = nn.functional.softmax(work, 1).max(1);                               // (M), (M)
        Tensor confidence = topProbability.to(ScalarType.Float64).cpu();                                                 // (M)
        Tensor correct = topToken.cpu().eq(targetsOnCpu).to(ScalarType.Float64);                                         // (M)
        Tensor bin = bucketize(confidence, InnerEdges(_counts.Length), right: false);                                    // (M)

        int bins = _counts.Length;
        long[] count = bin.bincount(null, bins).data<long>().ToArray();
        double[] confidenceSum = bin.bincount(confidence, bins).data<double>().ToArray();
        double[] correctCount = bin.bincount(correct, bins).data<double>().ToArray();
        for (int b = 0; b < bins; b++)
        {
            _counts[b] += count[b];
            _confidenceSums[b] += confidenceSum[b];
            _correctCounts[b] += (long)correctCount[b];
        }
    }

    /// <summary>Forgets every prediction counted so far.</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        Array.Clear(_confidenceSums);
        Array.Clear(_correctCounts);
    }

    private static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>The bin boundaries 1/B … (B−1)/B: bucketize with right = false puts x in bin i when edge[i−1] &lt; x ≤ edge[i].</summary>
    private static Tensor InnerEdges(int bins) =>
        tensor(Enumerable.Range(1, bins - 1).Select(b => (double)b / bins).ToArray(), ScalarType.Float64);
}
