using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Tests;

public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("TeacherServer:ExecutionProvider", "tpu")]
    [InlineData("TeacherServer:ExecutionProvider", "cuda")]
    [InlineData("TeacherServer:MaxK", "0")]
    [InlineData("TeacherServer:MaxBatchTokens", "-1")]
    [InlineData("TeacherServer:MaxQueue", "0")]
    [InlineData("TeacherServer:MaxRequestBytes", "0")]
    [InlineData("TeacherServer:ApiKey", "")]
    public void Invalid_options_stop_the_server_at_start(string key, string value)
    {
#if DISTILL_GPU
        if (value == "cuda")
        {
            return;
        }
#endif
        var exception = Assert.ThrowsAny<Exception>(() =>
        {
            using var host = TeacherHost.Start(_ => { }, new Dictionary<string, string?> { [key] = value });
        });
        Assert.True(exception.GetBaseException() is OptionsValidationException, exception.ToString());
    }
}
