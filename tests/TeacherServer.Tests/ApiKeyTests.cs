using System.Net;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

public sealed class ApiKeyTests : IDisposable
{
    private readonly TeacherHost host = TeacherHost.Start(
        models => TinyOnnxModel.WriteFolder(Path.Combine(models, "tiny")),
        new Dictionary<string, string?> { ["TeacherServer:ApiKey"] = "s3cret" });

    public void Dispose() => host.Dispose();

    [Theory]
    [InlineData(null, null, HttpStatusCode.Unauthorized)]
    [InlineData("X-Api-Key", "wrong", HttpStatusCode.Unauthorized)]
    [InlineData("Authorization", "Bearer wrong", HttpStatusCode.Unauthorized)]
    [InlineData("X-Api-Key", "s3cret", HttpStatusCode.OK)]
    [InlineData("Authorization", "Bearer s3cret", HttpStatusCode.OK)]
    public async Task V1_needs_the_key(string? header, string? value, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Health_stays_open()
    {
        using var response = await host.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
