using System.Collections.Concurrent;
using TorchSharp;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// TorchSharp Scalars that live as long as the process, for the constants of tensor ops. A Scalar made by an implicit
/// conversion (<c>t * 0.5</c>, <c>t.masked_fill(m, 0.0)</c>, <c>arange(n)</c>, even <c>t + u</c>, which passes alpha = 1)
/// is unreachable once native code has its handle, so a garbage collection started by another thread may run its
/// finalizer and free the value while the op still reads it. Pass these instead, or hold a value that changes every
/// step in <c>using Scalar s = x.ToScalar();</c> across the calls that read it. Few distinct values are ever asked for.
/// </summary>
public static class Scalars
{
    private static readonly ConcurrentDictionary<long, Scalar> Reals = new();    // keyed by the bits: −0.0 ≠ 0.0
    private static readonly ConcurrentDictionary<long, Scalar> Integers = new();

    /// <summary>The integer 1: alpha of a plain <c>add</c>, step of <c>arange</c>.</summary>
    public static Scalar One { get; } = Of(1L);

    /// <summary>A float64 Scalar of <paramref name="value"/>.</summary>
    public static Scalar Of(double value) =>
        Reals.GetOrAdd(BitConverter.DoubleToInt64Bits(value), bits => BitConverter.Int64BitsToDouble(bits).ToScalar());

    /// <summary>An int64 Scalar of <paramref name="value"/>.</summary>
    public static Scalar Of(long value) => Integers.GetOrAdd(value, v => v.ToScalar());
}
