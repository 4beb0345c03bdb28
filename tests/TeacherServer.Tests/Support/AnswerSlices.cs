using Distill.Shared.Wire;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>Compares an answer from starts with the same positions of a whole-sequence answer.</summary>
public static class AnswerSlices
{
    /// <summary>
    /// Row s of <paramref name="part"/> holds positions <paramref name="starts"/>[s] … of sequence s: the same ids, and
    /// log-probs and next-token log-probs within <paramref name="tolerance"/>, as <paramref name="whole"/> there.
    /// </summary>
    public static void AssertEqual(TopKResult whole, TopKResult part, int[][] sequences, IReadOnlyList<int> starts, float tolerance)
    {
        Assert.Equal(whole.Version, part.Version);
        for (var s = 0; s < sequences.Length; s++)
        {
            var full = whole.Sequences[s];
            var slice = part.Sequences[s];
            Assert.Equal(sequences[s].Length - starts[s], slice.Length);
            for (var i = 0; i < slice.Length; i++)
            {
                var t = starts[s] + i;
                Assert.Equal(full.IdsAt(t).ToArray(), slice.IdsAt(i).ToArray());
                for (var j = 0; j < slice.K; j++)
                {
                    Assert.Equal(full.LogprobsAt(t)[j], slice.LogprobsAt(i)[j], tolerance);
                }
                if (t + 1 < sequences[s].Length)
                {
                    Assert.Equal(full.NextTokenLogprobs[t], slice.NextTokenLogprobs[i], tolerance);
                }
                else
                {
                    Assert.True(float.IsNaN(slice.NextTokenLogprobs[i]));
                }
            }
        }
    }
}
