namespace Distill.Bench.Quality;

/// <summary>The mean and sample standard deviation (n − 1 in the denominator) of n values; the deviation is NaN for n &lt; 2.</summary>
public readonly record struct MeanStd(double Mean, double Std, int N)
{
    /// <exception cref="ArgumentException">There is no value.</exception>
    public static MeanStd Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("The mean of no value is undefined.", nameof(values));
        double mean = values.Average();
        double std = values.Count < 2
            ? double.NaN
            : Math.Sqrt(values.Sum(value => (value - mean) * (value - mean)) / (values.Count - 1));
        return new MeanStd(mean, std, values.Count);
    }
}
