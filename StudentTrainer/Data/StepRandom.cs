namespace Distill.StudentTrainer.Data;

/// <summary>
/// Generators that are a pure function of (seed, stream), e.g. (run seed, step), so a resumed run draws what the
/// uninterrupted one drew without saving any generator state. The two are mixed by SplitMix64's finaliser first:
/// <see cref="Random"/>'s first draws from nearby seeds are nearly linear in the seed, so seeding it with seed + step
/// would make consecutive steps' draws a sawtooth instead of independent.
/// </summary>
public static class StepRandom
{
    public static Random For(int seed, long stream) => new(Mix(seed, stream));

    /// <summary>A non-negative seed from (seed, stream): equal inputs give equal seeds in every process.</summary>
    public static int Mix(int seed, long stream)
    {
        unchecked
        {
            ulong z = ((ulong)(uint)seed << 32 ^ (ulong)stream) + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z & int.MaxValue);
        }
    }
}
