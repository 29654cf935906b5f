using System.Text.Json.Nodes;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Tokenization.Tests.Templates;

/// <summary>docs/security.md G35/M10: injection payloads reach nothing, bombs stop at their caps with typed errors.</summary>
public sealed class ChatTemplateSecurityTests
{
    private static readonly ChatTemplateLimits s_noTimeCap = new() { MaxDuration = TimeSpan.FromMinutes(5) };

    private static ChatTemplateContext Context(ChatTemplateLimits? limits = null) => new()
    {
        Messages = [new JsonObject { ["role"] = "user", ["content"] = "hi" }],
        Limits = limits,
    };

    private static TemplateException RenderFails(string template, ChatTemplateLimits? limits = null) =>
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template, limits).Render(Context(limits)));

    public static TheoryData<string> SstiPayloads() =>
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''.__class__.__mro__[2].__subclasses__()[40]('/etc/passwd').read() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ joiner.__init__.__globals__.os.popen('touch /tmp/edgewise-ssti-canary').read() }}",
        "{{ self.__init__.__globals__.__builtins__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ raise_exception.__class__.__base__ }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ config.items() }}",
        "{{ request.application.__globals__ }}",
        "{{ messages.__class__.__base__.__subclasses__() }}",
        "{{ messages[0].GetType().Assembly.Location }}",
        "{{ ''.GetType().Assembly.GetTypes() }}",
        "{{ range.Method.DeclaringType }}",
        "{{ messages.ToString() }}{{ messages[0].role.GetType() }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c.__name__ }}{% endfor %}",
        "{{ 'a' | attr('__class__') }}",
        "{{ messages | map('upper') }}",
        "{% set x = namespace() %}{% set x.__class__ = 1 %}{{ x.__class__ }}{{ x.__dict__ }}",
        "{{ (messages|first).__getitem__('role') }}",
        "{% include '/etc/passwd' %}",
        "{% import 'os' as os %}{{ os.system('id') }}",
        "{% extends '/etc/passwd' %}",
        "{{ strftime_now.__globals__ }}{{ strftime_now('%Y').__class__ }}",
    ];

    [Theory]
    [MemberData(nameof(SstiPayloads))]
    public void Render_M10_SstiPayload_ReachesNothing(string payload)
    {
        const string canary = "/tmp/edgewise-ssti-canary";
        File.Delete(canary);
        string? output = null;
        try
        {
            output = ChatTemplate.Parse(payload).Render(Context());
        }
        catch (TemplateException ex)
        {
            Assert.DoesNotContain("System.", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Edgewise", ex.Message, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(canary));
        if (output is not null)
        {
            Assert.DoesNotContain("System", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Edgewise", output, StringComparison.Ordinal);
            Assert.DoesNotContain("class", output, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("root:", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_M10_SstiDunderAttributes_AreUndefined()
    {
        var output = ChatTemplate.Parse(
            "[{{ ''.__class__ }}|{{ messages.__class__ }}|{{ messages[0].__class__ }}|{{ self }}|{{ cycler }}|{{ namespace.__init__ }}]")
            .Render(Context());

        Assert.Equal("[|||||]", output);
    }

    [Fact]
    public void Render_G35_LoopBomb_StopsAtStepCap()
    {
        var ex = RenderFails(
            "{% for a in range(100000) %}{% for b in range(100000) %}{{ a ~ b }}{% endfor %}{% endfor %}", s_noTimeCap);

        Assert.Equal(TemplateErrorCodes.StepCap, ex.Code);
        Assert.True(ex.IsCapExceeded);
    }

    [Fact]
    public void Render_G35_LoopBombDefaultLimits_StopsAtACap()
    {
        var ex = RenderFails("{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}");

        Assert.True(ex.IsCapExceeded, ex.Code);
    }

    [Fact]
    public void Render_G35_HugeRange_StopsBeforeAllocating()
    {
        var ex = RenderFails("{{ range(1000000000000) | length }}", s_noTimeCap);

        Assert.Equal(TemplateErrorCodes.StepCap, ex.Code);
    }

    [Fact]
    public void Render_G35_StringDoubling_StopsAtOutputCap()
    {
        var ex = RenderFails("{% set s = 'x' %}{% for i in range(64) %}{% set s = s + s %}{% endfor %}{{ s }}", s_noTimeCap);

        Assert.Equal(TemplateErrorCodes.OutputCap, ex.Code);
    }

    [Fact]
    public void Render_G35_ReplaceAmplification_StopsAtOutputCap()
    {
        var ex = RenderFails(
            "{% set s = 'xxxxxxxxxxxxxxxx' %}{% for i in range(8) %}{% set s = s.replace('x', 'xxxxxxxx') %}{% endfor %}{{ s }}",
            s_noTimeCap);

        Assert.Equal(TemplateErrorCodes.OutputCap, ex.Code);
    }

    [Fact]
    public void Render_G35_ListDoubling_StopsAtStepCap()
    {
        var ex = RenderFails("{% set a = [1] %}{% for i in range(64) %}{% set a = a + a %}{% endfor %}{{ a | length }}", s_noTimeCap);

        Assert.Equal(TemplateErrorCodes.StepCap, ex.Code);
    }

    [Fact]
    public void Render_G35_SharedSubtreeSerialisation_StopsAtACap()
    {
        var ex = RenderFails("{% set ns = namespace(a=[1, 2]) %}{% for i in range(60) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a | tojson }}", s_noTimeCap);

        Assert.True(ex.Code is TemplateErrorCodes.StepCap or TemplateErrorCodes.OutputCap, ex.Code);
    }

    [Fact]
    public void Render_G35_OutputOverCap_Rejected()
    {
        var limits = new ChatTemplateLimits { MaxOutputChars = 1000, MaxDuration = TimeSpan.FromMinutes(5) };

        var ex = RenderFails("{% for i in range(2000) %}x{% endfor %}", limits);

        Assert.Equal(TemplateErrorCodes.OutputCap, ex.Code);
    }

    [Fact]
    public void Render_G35_UnboundedRecursion_StopsAtDepthCap()
    {
        var ex = RenderFails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", s_noTimeCap);

        Assert.Equal(TemplateErrorCodes.DepthCap, ex.Code);
    }

    [Fact]
    public void Render_G35_DeeplyNestedList_StopsAtDepthCap()
    {
        var ex = RenderFails("{% set ns = namespace(a=[]) %}{% for i in range(5000) %}{% set ns.a = [ns.a] %}{% endfor %}{{ ns.a | tojson }}", s_noTimeCap);

        Assert.Equal(TemplateErrorCodes.DepthCap, ex.Code);
    }

    [Fact]
    public void Render_G35_SlowTemplate_StopsAtTimeCap()
    {
        var limits = new ChatTemplateLimits { MaxSteps = long.MaxValue, MaxDuration = TimeSpan.FromMilliseconds(20) };

        var ex = RenderFails("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", limits);

        Assert.Equal(TemplateErrorCodes.TimeCap, ex.Code);
    }

    [Fact]
    public void Parse_G35_TemplateOver256KiB_Rejected()
    {
        var source = new string('a', (256 * 1024) + 1);

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.TooLarge, ex.Code);
        Assert.True(ex.IsCapExceeded);
    }

    [Fact]
    public void Parse_G35_TemplateOver256KiBInUtf8_Rejected()
    {
        var source = new string('é', (128 * 1024) + 1);

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.TooLarge, ex.Code);
    }

    [Fact]
    public void Parse_G35_TenMegabyteTemplate_Rejected()
    {
        var source = string.Concat(Enumerable.Repeat("{{ messages }}", 750_000));

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.TooLarge, ex.Code);
    }

    [Fact]
    public void Parse_G35_TemplateOfExactly256KiB_Accepted()
    {
        var template = ChatTemplate.Parse(new string('a', 256 * 1024));

        Assert.Equal(256 * 1024, template.Render(Context()).Length);
    }

    [Fact]
    public void Parse_G35_DeeplyNestedParentheses_StopsAtDepthCap()
    {
        var source = "{{ " + new string('(', 100_000) + "1" + new string(')', 100_000) + " }}";

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.DepthCap, ex.Code);
    }

    [Fact]
    public void Parse_G35_DeeplyNestedBlocks_StopsAtDepthCap()
    {
        var source = string.Concat(Enumerable.Repeat("{% if true %}", 10_000)) + string.Concat(Enumerable.Repeat("{% endif %}", 10_000));

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.DepthCap, ex.Code);
    }

    [Fact]
    public void Parse_G35_LongNotChain_StopsAtDepthCap()
    {
        var source = "{{ " + string.Concat(Enumerable.Repeat("not ", 50_000)) + "x }}";

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.DepthCap, ex.Code);
    }

    [Fact]
    public void Render_G35_DeeplyNestedContextJson_StopsAtDepthCap()
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < 2000; i++)
        {
            node = new JsonArray(node);
        }

        var context = new ChatTemplateContext { Messages = [], Variables = new Dictionary<string, JsonNode?> { ["deep"] = node } };

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("{{ deep }}").Render(context));

        Assert.Equal(TemplateErrorCodes.DepthCap, ex.Code);
    }

    [Fact]
    public void Render_M10_ContextVariableShadowingBuiltIn_Rejected()
    {
        var context = new ChatTemplateContext
        {
            Messages = [],
            Variables = new Dictionary<string, JsonNode?> { ["raise_exception"] = "x" },
        };

        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("ok").Render(context));

        Assert.Equal(TemplateErrorCodes.Context, ex.Code);
    }

    [Theory]
    [InlineData("{% call foo() %}x{% endcall %}")]
    [InlineData("{% filter upper %}x{% endfilter %}")]
    [InlineData("{% raw %}x{% endraw %}")]
    public void Parse_UnsupportedStatement_ThrowsUnsupported(string source)
    {
        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.Unsupported, ex.Code);
    }

    [Theory]
    [InlineData("{{ 'a' | nosuchfilter }}")]
    [InlineData("{{ 1 is nosuchtest }}")]
    public void Render_UnsupportedFilterOrTest_ThrowsUnsupported(string source)
    {
        var ex = RenderFails(source);

        Assert.Equal(TemplateErrorCodes.Unsupported, ex.Code);
    }

    [Theory]
    [InlineData("{% if %}")]
    [InlineData("{% if true %}x")]
    [InlineData("{{ 'unterminated }}")]
    [InlineData("{{ 1 +* 2 }}")]
    [InlineData("{# never closed")]
    [InlineData("{% for %}{% endfor %}")]
    [InlineData("{{ '\\q' }}")]
    public void Parse_MalformedTemplate_ThrowsSyntax(string source)
    {
        var ex = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));

        Assert.Equal(TemplateErrorCodes.Syntax, ex.Code);
    }

    [Fact]
    public void Render_RaiseException_CarriesTemplateMessage()
    {
        var ex = RenderFails("{{ raise_exception('Roles must alternate') }}");

        Assert.Equal(TemplateErrorCodes.Raised, ex.Code);
        Assert.Equal("Roles must alternate", ex.Message);
    }
}
