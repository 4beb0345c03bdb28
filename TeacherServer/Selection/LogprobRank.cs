namespace Distill.TeacherServer.Selection;

/// <summary>The order of the top-k: an unsigned key that ascends as log-probs descend, NaN last.</summary>
public static class LogprobRank
{
    public static uint Of(float value)
    {
        if (float.IsNaN(value))
        {
            return uint.MaxValue;
        }
        // + 0 turns −0 into +0, which compare equal; the sign flip makes larger floats larger unsigned integers.
        var bits = BitConverter.SingleToUInt32Bits(value + 0f);
        var ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ~ascending;
    }

    /// <summary>The key of a candidate: its rank, then its id, so that equal log-probs order by ascending id.</summary>
    public static ulong Key(float value, int id) => ((ulong)Of(value) << 32) | (uint)id;
}
