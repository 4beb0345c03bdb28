using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Distillation;

public sealed class WindowSamplerTests
{
    private static TokenStream Stream(int count) => new(Enumerable.Range(0, count).ToArray());

    [Fact]
    public void An_epoch_visits_every_window_once_at_stride_length_from_one_offset()
    {
        var sampler = new WindowSampler(Stream(1000), length: 10, batch: 7, seed: 3);
        int windows = sampler.WindowsPerEpoch;
        int[] starts = Enumerable.Range(0, windows).Select(w => sampler.StartsOf(w / 7)[w % 7]).ToArray();
        Assert.Equal(windows, starts.Distinct().Count());
        int offset = starts.Min() % 10;
        Assert.All(starts, s => Assert.Equal(offset, s % 10));
        Assert.All(starts, s => Assert.InRange(s, 0, 1000 - 11));
        Assert.NotEqual(starts.Order(), starts); // shuffled
    }

    [Fact]
    public void A_batch_is_a_pure_function_of_seed_and_index()
    {
        var first = new WindowSampler(Stream(5000), 16, 4, seed: 9);
        var second = new WindowSampler(Stream(5000), 16, 4, seed: 9);
        var other = new WindowSampler(Stream(5000), 16, 4, seed: 10);
        Assert.Equal(first.StartsOf(500), second.StartsOf(500)); // second asked out of order: no hidden cursor
        Assert.Equal(first.StartsOf(3), second.StartsOf(3));
        Assert.NotEqual(first.StartsOf(3), other.StartsOf(3));
        Assert.Equal(first.StartsOf(3).Select(s => Enumerable.Range(s, 16).ToArray()), first.InputsOf(3));
    }

    [Fact]
    public void Epochs_differ_and_a_too_short_stream_is_refused()
    {
        var sampler = new WindowSampler(Stream(400), 10, 1, seed: 1);
        int w = sampler.WindowsPerEpoch;
        int[] epoch0 = Enumerable.Range(0, w).Select(i => sampler.StartsOf(i)[0]).ToArray();
        int[] epoch1 = Enumerable.Range(w, w).Select(i => sampler.StartsOf(i)[0]).ToArray();
        Assert.NotEqual(epoch0, epoch1);
        Assert.Throws<ArgumentException>(() => new WindowSampler(Stream(10), 10, 1, 1));
    }
}
