namespace Distill.Testing;

/// <summary>Waiting for a state instead of sleeping; the timeout only turns a hang into a failure.</summary>
public static class Conditions
{
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
